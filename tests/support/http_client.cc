#include "tests/support/http_client.h"

#include <httplib.h>

#include <csignal>
#include <cstdlib>
#include <sstream>

namespace millstream::testing {

void IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }

HttpReply Http(int port, const std::string& method, const std::string& path, const std::string& body,
               const std::map<std::string, std::string>& headers) {
  IgnoreSigpipe();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10);
  client.set_read_timeout(60);
  httplib::Headers sent(headers.begin(), headers.end());
  httplib::Result r = method == "GET"      ? client.Get(path, sent)
                      : method == "DELETE" ? client.Delete(path, sent, body, "application/json")
                      : method == "PATCH"  ? client.Patch(path, sent, body, "application/json")
                      : method == "PUT"    ? client.Put(path, sent, body, "application/json")
                                           : client.Post(path, sent, body, "application/json");
  HttpReply reply;
  if (!r) return reply;
  reply.status = r->status;
  reply.body = r->body;
  reply.headers.insert(r->headers.begin(), r->headers.end());
  return reply;
}

namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

// `{a="x",b="y"}` starting at `at`; returns the position after '}' or npos.
size_t SkipLabels(const std::string& line, size_t at) {
  ++at;  // '{'
  while (at < line.size() && line[at] != '}') {
    size_t eq = line.find('=', at);
    if (eq == std::string::npos || !ValidName(line.substr(at, eq - at))) return std::string::npos;
    if (eq + 1 >= line.size() || line[eq + 1] != '"') return std::string::npos;
    size_t i = eq + 2;
    while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
    if (i >= line.size()) return std::string::npos;
    at = i + 1;
    if (at < line.size() && line[at] == ',') ++at;
  }
  return at < line.size() ? at + 1 : std::string::npos;
}

}  // namespace

MetricsPage ParseMetrics(const std::string& text) {
  MetricsPage page;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      if (!ValidName(name) || (type != "counter" && type != "gauge" && type != "histogram")) {
        page.error = "bad TYPE line: " + line;
        return page;
      }
      page.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) {
      page.error = "sample without a value: " + line;
      return page;
    }
    std::string name = line.substr(0, name_end);
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      value_at = SkipLabels(line, name_end);
      if (value_at == std::string::npos) {
        page.error = "bad labels: " + line;
        return page;
      }
    }
    std::string family = name;
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) && page.types.count(name.substr(0, name.size() - suffix.size()))) {
        family = name.substr(0, name.size() - suffix.size());
      }
    }
    if (!ValidName(name) || page.types.count(family) == 0) {
      page.error = "sample before its TYPE: " + line;
      return page;
    }
    std::string value = line.substr(value_at);
    if (value.empty() || value[0] != ' ') {
      page.error = "no space before the value: " + line;
      return page;
    }
    char* end = nullptr;
    double v = std::strtod(value.c_str() + 1, &end);
    if (end == value.c_str() + 1 || *end != '\0') {
      page.error = "bad value: " + line;
      return page;
    }
    page.samples[line.substr(0, value_at)] = v;
  }
  return page;
}

}  // namespace millstream::testing
