#pragma once
/// \file esm/version.hpp
/// The library's version, written once here; CMake parses it from this file.

/// Major version: incremented on an incompatible API change.
#define ESM_VERSION_MAJOR 0
/// Minor version: incremented when features are added compatibly.
#define ESM_VERSION_MINOR 1
/// Patch version: incremented for compatible fixes.
#define ESM_VERSION_PATCH 0

namespace esm {
/// The library version as numbers, e.g. `esm::version.major`.
struct version_info {
  int major; ///< incompatible API changes
  int minor; ///< compatible additions
  int patch; ///< compatible fixes
};
/// The version of the headers in use.
inline constexpr version_info version{ESM_VERSION_MAJOR, ESM_VERSION_MINOR, ESM_VERSION_PATCH};
} // namespace esm
