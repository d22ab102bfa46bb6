// compile_fail.destination_missing_member: a type declaring esm::destination_role with neither
// send(record) nor send(record, stream, records). Expected: "must satisfy esm::failure_destination".
// Without ESM_EXPECT_FAIL the type has the records form, send(record, stream, records), and compiles
// cleanly: a destination may take the discarded records instead of the record alone.
#include <esm/esm.hpp>

#include <string>

struct my_destination {
  using esm_role = esm::destination_role;
#ifndef ESM_EXPECT_FAIL
  template <class Stream, class Record>
  bool send(const esm::stream_failure_record&, const Stream&, const esm::stream_batch<Record>& records) {
    return !records.empty();
  }
#endif
};

void compile_fail_case() {
  using kstream = esm::kinesis_stream<std::string>;
  using kbatch = esm::stream_batch<kstream::record_type>;
  esm::simulation sim;
  kstream s{sim, {}};
  esm::function fn{sim, {.name = "f"}};
  esm::stream_poller p{s, fn, [](const kbatch&) {}, esm::starting_position::trim_horizon(), my_destination{}};
}
