#pragma once
// One include for Catch2 v2 (Debian 2.13) and v3.
#if defined(ESM_CATCH_V3)
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif
