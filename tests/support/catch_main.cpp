// Catch2 v2 main (Debian's catch2 2.13). With Catch2 v3, Catch2::Catch2WithMain is used instead.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
