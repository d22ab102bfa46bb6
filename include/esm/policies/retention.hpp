#pragma once
/// \file esm/policies/retention.hpp
/// Kept for code written before retention moved next to the sources: includes
/// `esm/sources/retention.hpp` (`esm::retention`), where it lives now.

#include <esm/sources/retention.hpp>
