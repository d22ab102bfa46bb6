#pragma once
/// \file esm/esm.hpp
/// The umbrella header: every esm header that needs no optional dependency.
/// (`esm/fmt.hpp` adds fmt formatters; fmt is a dependency of esm::esm.)

#include <esm/version.hpp>

#include <esm/core/error.hpp>
#include <esm/core/random.hpp>
#include <esm/core/simulation.hpp>
#include <esm/core/time.hpp>
#include <esm/core/trace.hpp>

#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>
