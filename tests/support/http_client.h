// A blocking HTTP client for tests of the broker's HTTP listener (127.0.0.1
// only), and a reader of the Prometheus text format that fails on any line it
// cannot parse, so a test of /metrics also checks the syntax.
#pragma once

#include <map>
#include <string>

namespace millstream::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, timeout)
  std::string body;
  std::multimap<std::string, std::string> headers;
};

HttpReply Http(int port, const std::string& method, const std::string& path, const std::string& body = "",
               const std::map<std::string, std::string>& headers = {});

// Makes a write to a connection the broker already closed an error instead of
// a SIGPIPE that kills the test (the broker may answer and close before it read
// a whole body it refuses). Http() calls it; tests that use a client of their
// own call it first.
void IgnoreSigpipe();

// Every sample of a /metrics page by its series ("name{label=\"v\",...}" as
// written), or an error naming the first line that is not valid exposition
// format (a sample without a TYPE before it, a bad label, a bad number).
struct MetricsPage {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // family → counter, gauge, histogram
  std::string error;
};
MetricsPage ParseMetrics(const std::string& text);

}  // namespace millstream::testing
