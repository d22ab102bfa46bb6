#pragma once
/// \file esm/aws/json.hpp
/// AWS-shaped JSON for esm (CMake target `esm::aws`, needs nlohmann_json): event JSON for batches
/// (`events.hpp`), partial batch and tumbling-window responses (`responses.hpp`), on-failure
/// invocation records (`failure_records.hpp`), handlers that see only JSON (`json_handler.hpp`),
/// and DynamoDB's AttributeValue encoding (`attribute_value.hpp`).

#include <esm/aws/attribute_value.hpp>
#include <esm/aws/events.hpp>
#include <esm/aws/failure_records.hpp>
#include <esm/aws/json_handler.hpp>
#include <esm/aws/responses.hpp>
