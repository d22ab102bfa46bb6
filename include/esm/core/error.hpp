#pragma once
/// \file esm/core/error.hpp
/// The exceptions esm throws. Exception policy: esm reports misconfiguration and misuse with
/// exceptions (never `abort`), and never lets a user handler's exception escape a poller or a
/// function: that is a function error, handled as AWS handles it.
///
/// - `config_error` (a `std::invalid_argument`): a parameter outside AWS's documented range.
/// - `usage_error` (a `std::logic_error`): an API called in a state where it cannot work,
///   e.g. scheduling an event in the past.
/// - `input_error` (a `std::invalid_argument`): bad input at run time (e.g. an empty partition key).
/// - `throughput_exceeded` (a `std::runtime_error`): a modelled write limit was exceeded.
/// - `runaway_error` (a `std::runtime_error`): a run that would never end.

#include <concepts>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <esm/core/time.hpp>

namespace esm {

/// A configuration value outside the range AWS allows. The message names the parameter, the
/// allowed range and the value given, e.g.
/// `timeout must be in [1s, 900s] for function 'orders', got 901s`.
class config_error : public std::invalid_argument {
public:
  /// \param parameter the parameter's name as in our API (e.g. `batch_size`)
  /// \param allowed   the allowed range or set, as text (e.g. `[1, 10000]`)
  /// \param given     the value given, as text
  /// \param where     what the parameter belongs to (e.g. `function 'orders'`); may be empty
  config_error(std::string parameter, std::string allowed, std::string given, std::string_view where = {})
      : std::invalid_argument(compose(parameter, allowed, given, where)), parameter_(std::move(parameter)),
        allowed_(std::move(allowed)), given_(std::move(given)) {}

  /// The parameter's name.
  [[nodiscard]] const std::string& parameter() const noexcept { return parameter_; }
  /// The allowed range, as text.
  [[nodiscard]] const std::string& allowed() const noexcept { return allowed_; }
  /// The value that was given, as text.
  [[nodiscard]] const std::string& given() const noexcept { return given_; }

private:
  static std::string compose(std::string_view parameter, std::string_view allowed, std::string_view given,
                             std::string_view where) {
    std::string msg{parameter};
    msg += " must be ";
    const bool is_range = !allowed.empty() && (allowed.front() == '[' || allowed.front() == '(');
    if (is_range) msg += "in ";
    msg += allowed;
    if (!where.empty()) {
      msg += " for ";
      msg += where;
    }
    msg += ", got ";
    msg += given;
    return msg;
  }

  std::string parameter_;
  std::string allowed_;
  std::string given_;
};

/// An API used in a state where it cannot work (scheduling in the past, re-entering the
/// event loop from an event, ...). The message says what was called and why it cannot proceed.
class usage_error : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// Bad input to a model object at run time, rejected as AWS rejects it (an empty partition key,
/// a record over 1 MiB, an unknown shard id...). The message says what was wrong.
class input_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// A write refused because a source's throughput limit is exceeded (Kinesis
/// `ProvisionedThroughputExceededException`). Only raised when the source models limits.
class throughput_exceeded : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A run that would not end: `run_until_idle` executed its event budget without the
/// simulation becoming idle, or one instant executed more events than the per-instant guard.
class runaway_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {

inline std::string value_text(std::integral auto v) { return std::to_string(v); }
inline std::string value_text(duration v) { return esm::to_string(v); }
inline std::string value_text(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// Throws `config_error` unless `lo <= value <= hi`.
template <class T>
void check_range(std::string_view parameter, const T& value, const T& lo, const T& hi, std::string_view where = {}) {
  if (value < lo || hi < value) {
    throw config_error(std::string{parameter}, "[" + value_text(lo) + ", " + value_text(hi) + "]", value_text(value),
                       where);
  }
}

} // namespace detail
} // namespace esm
