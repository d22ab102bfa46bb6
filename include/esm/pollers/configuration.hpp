#pragma once
/// \file esm/pollers/configuration.hpp
/// Reading back and changing a live event source mapping, as AWS's `GetEventSourceMapping` and
/// `UpdateEventSourceMapping` do (spec §1): `poller.configuration()` gives every parameter under
/// its AWS name, with the state and `LastProcessingResult`; `poller.update({...})` changes the
/// parameters AWS lets an update change, validated as at creation, for the batches cut after
/// the call. A parameter that belongs to a user-written policy is not AWS's to report or change:
/// it reads as `std::nullopt`, and updating it is a `usage_error` (change the policy instead).

#include <optional>
#include <string>
#include <vector>

#include <esm/core/source_kind.hpp>
#include <esm/core/time.hpp>
#include <esm/pollers/lifecycle.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/sources/shard.hpp>

namespace esm {

class function;

/// `GetEventSourceMapping` of a stream mapping.
struct stream_mapping_configuration {
  std::string name;                 ///< the mapping's name (`esm/<name>` in traces)
  std::string uuid;                 ///< `UUID` (seeded: the same for a seed and creation order)
  std::string event_source_mapping_arn;    ///< `EventSourceMappingArn`:
                                           ///< `arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`
  source_kind kind = source_kind::kinesis; ///< Kinesis or DynamoDB
  std::string event_source_arn;     ///< `EventSourceArn`
  std::string function_name;        ///< the function (`FunctionArn`'s name)
  esm_state state = esm_state::enabled; ///< `State`: `Creating`, `Enabling`, `Enabled`, `Disabling`, `Disabled`,
                                        ///< `Updating` or `Deleting`
  std::string state_transition_reason =
      "User action";                  ///< `StateTransitionReason`: who made the last change (`User action` for streams)
  std::string last_processing_result; ///< `LastProcessingResult`
  int batch_size = 100;             ///< `BatchSize` (the batching policy's record limit)
  std::optional<duration> maximum_batching_window{}; ///< `MaximumBatchingWindowInSeconds` (nullopt: a user batching policy)
  starting_position start{}; ///< `StartingPosition` (and `StartingPositionTimestamp`)
  int parallelization_factor = 1;   ///< `ParallelizationFactor`
  std::optional<int> maximum_retry_attempts{}; ///< `MaximumRetryAttempts`, −1 infinite (nullopt: a user retry policy)
  duration maximum_record_age{std::chrono::seconds{-1}}; ///< `MaximumRecordAgeInSeconds`, −1 s infinite
  std::optional<bool> bisect_batch_on_function_error{}; ///< `BisectBatchOnFunctionError` (nullopt: a user retry policy)
  duration tumbling_window{};       ///< `TumblingWindowInSeconds` (0: off)
  bool report_batch_item_failures = false; ///< `FunctionResponseTypes` holds `ReportBatchItemFailures`
  std::optional<std::vector<std::string>> filter_patterns{}; ///< `FilterCriteria.Filters[].Pattern` (nullopt: none, or a predicate)
  bool on_failure_destination = false; ///< `DestinationConfig.OnFailure` is set
};

/// `UpdateEventSourceMapping` of a stream mapping: each set field is changed, the others kept.
struct stream_mapping_update {
  std::optional<int> batch_size{};                     ///< `BatchSize`, [1, 10000]
  std::optional<duration> maximum_batching_window{};   ///< `MaximumBatchingWindowInSeconds`, whole seconds in [0s, 300s]
  std::optional<int> parallelization_factor{};         ///< `ParallelizationFactor`, [1, 10]
  std::optional<int> maximum_retry_attempts{};         ///< `MaximumRetryAttempts`, −1 or [0, 10000]
  std::optional<duration> maximum_record_age{};        ///< `MaximumRecordAgeInSeconds`, −1 s or whole seconds in [60s, 604800s]
  std::optional<bool> bisect_batch_on_function_error{}; ///< `BisectBatchOnFunctionError`
  std::optional<duration> tumbling_window{};           ///< `TumblingWindowInSeconds`, whole seconds in [0s, 900s]
  std::optional<bool> report_batch_item_failures{};    ///< `FunctionResponseTypes`
  std::optional<std::vector<std::string>> filter_patterns{}; ///< `FilterCriteria` (the mapping must have been created with `esm::filter_criteria`)
  std::optional<bool> enabled{};                       ///< `Enabled`
  function* function_target = nullptr;                 ///< `FunctionName`: another function (nullptr: keep)
};

/// `GetEventSourceMapping` of an SQS mapping.
struct queue_mapping_configuration {
  std::string name;                 ///< the mapping's name
  std::string uuid;                 ///< `UUID` (seeded: the same for a seed and creation order)
  std::string event_source_mapping_arn;         ///< `EventSourceMappingArn`:
                                                ///< `arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>`
  source_kind kind = source_kind::sqs_standard; ///< standard or FIFO
  std::string event_source_arn;     ///< `EventSourceArn`
  std::string function_name;        ///< the function (`FunctionArn`'s name)
  esm_state state = esm_state::enabled; ///< `State`: `Creating`, `Enabling`, `Enabled`, `Disabling`, `Disabled`,
                                        ///< `Updating` or `Deleting`
  std::string state_transition_reason =
      "USER_INITIATED";               ///< `StateTransitionReason`: who made the last change (`USER_INITIATED` for SQS)
  std::string last_processing_result; ///< `LastProcessingResult`
  int batch_size = 10;              ///< `BatchSize`
  std::optional<duration> maximum_batching_window{}; ///< `MaximumBatchingWindowInSeconds` (nullopt: a user batching policy)
  std::optional<int> maximum_concurrency{}; ///< `ScalingConfig.MaximumConcurrency` (nullopt: none)
  bool report_batch_item_failures = false; ///< `FunctionResponseTypes`
  std::optional<std::vector<std::string>> filter_patterns{}; ///< `FilterCriteria` patterns
};

/// `UpdateEventSourceMapping` of an SQS mapping.
struct queue_mapping_update {
  std::optional<int> batch_size{};                   ///< `BatchSize`, [1, 10000] (FIFO [1, 10])
  std::optional<duration> maximum_batching_window{}; ///< `MaximumBatchingWindowInSeconds`, [0s, 300s]
  std::optional<std::optional<int>> maximum_concurrency{}; ///< `ScalingConfig.MaximumConcurrency`, [2, 1000] or unset
  std::optional<bool> report_batch_item_failures{};  ///< `FunctionResponseTypes`
  std::optional<std::vector<std::string>> filter_patterns{}; ///< `FilterCriteria` (created with `esm::filter_criteria`)
  std::optional<bool> enabled{};                     ///< `Enabled`
  function* function_target = nullptr;               ///< `FunctionName` (nullptr: keep)
};

} // namespace esm
