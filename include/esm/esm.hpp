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

#include <esm/filter/criteria.hpp>
#include <esm/lambda/function.hpp>
#include <esm/lambda/handler.hpp>

#include <esm/policies/batching.hpp>
#include <esm/policies/parallelization.hpp>
#include <esm/sources/retention.hpp>
#include <esm/policies/retry.hpp>
#include <esm/policies/scaling.hpp>
#include <esm/policies/tumbling_window.hpp>
#include <esm/policies/visibility.hpp>

#include <esm/sources/arn.hpp>
#include <esm/sources/concepts.hpp>
#include <esm/sources/dynamodb_stream.hpp>
#include <esm/sources/event_size.hpp>
#include <esm/sources/hash_key.hpp>
#include <esm/sources/kinesis_stream.hpp>
#include <esm/sources/s3_bucket.hpp>
#include <esm/sources/shard.hpp>
#include <esm/sources/sns_topic.hpp>
#include <esm/sources/sqs_fifo_queue.hpp>
#include <esm/sources/sqs_message.hpp>
#include <esm/sources/sqs_queue.hpp>
#include <esm/sources/stream_record.hpp>

#include <esm/pollers/destination.hpp>
#include <esm/pollers/lifecycle.hpp>
#include <esm/pollers/mapping_identity.hpp>
#include <esm/pollers/metrics.hpp>
#include <esm/pollers/queue_poller.hpp>
#include <esm/pollers/record_filter.hpp>
#include <esm/pollers/stream_poller.hpp>
