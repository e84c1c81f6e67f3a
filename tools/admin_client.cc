#include "tools/admin_client.h"

#include <httplib.h>

namespace millstream::tools {

void AddAdminOptions(CLI::App& cmd, AdminOptions& options) {
  cmd.add_option("--admin", options.url, "The broker's HTTP admin API")->capture_default_str();
  cmd.add_option("--token", options.token, "Bearer token for calls that change something")
      ->envname("MILLSTREAM_HTTP_TOKEN");
  cmd.add_option("--timeout-ms", options.timeout_ms, "How long to wait for an answer")
      ->capture_default_str()->check(CLI::Range(1, 3600000));
}

AdminClient::AdminClient(std::unique_ptr<httplib::Client> client, AdminOptions options)
    : client_(std::move(client)), options_(std::move(options)) {}

AdminClient::~AdminClient() = default;

Result<std::unique_ptr<AdminClient>> AdminClient::Connect(const AdminOptions& options) {
  const std::string scheme = "http://";
  if (options.url.rfind(scheme, 0) != 0 || options.url.size() == scheme.size()) {
    return InvalidArgument("--admin must be http://HOST[:PORT], got " + options.url);
  }
  std::string rest = options.url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return InvalidArgument("--admin takes no path: " + options.url);
  auto client = std::make_unique<httplib::Client>(scheme + rest);
  auto seconds = static_cast<time_t>(options.timeout_ms / 1000);
  auto micros = static_cast<time_t>((options.timeout_ms % 1000) * 1000);
  client->set_connection_timeout(seconds, micros);
  client->set_read_timeout(seconds, micros);
  client->set_write_timeout(seconds, micros);
  if (!options.token.empty()) client->set_bearer_token_auth(options.token);
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(client), options));
}

namespace {

Result<nlohmann::json> Answer(const httplib::Result& r, const std::string& what, const std::string& url) {
  if (!r) return IoError(what + ": no answer from " + url + " (" + httplib::to_string(r.error()) + ")");
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (r->status >= 200 && r->status < 300) {
    if (body.is_discarded()) return IoError(what + ": the answer is not JSON");
    return body;
  }
  std::string message = "HTTP " + std::to_string(r->status);
  if (!body.is_discarded() && body.contains("error") && body["error"].is_object()) {
    message = body["error"].value("message", message) + " (" + body["error"].value("code", "") + ")";
  }
  message = what + ": " + message;
  if (r->status == 404) return NotFound(message);
  if (r->status < 500) return InvalidArgument(message);
  return IoError(message);
}

}  // namespace

Result<nlohmann::json> AdminClient::Get(const std::string& path) {
  return Answer(client_->Get(path), "GET " + path, options_.url);
}

Result<std::string> AdminClient::GetText(const std::string& path) {
  httplib::Result r = client_->Get(path);
  if (!r) return IoError("GET " + path + ": no answer from " + options_.url + " (" + httplib::to_string(r.error()) + ")");
  if (r->status < 200 || r->status >= 300) return IoError("GET " + path + ": HTTP " + std::to_string(r->status));
  return r->body;
}

Result<nlohmann::json> AdminClient::Send(const std::string& method, const std::string& path,
                                         const nlohmann::json& body) {
  std::string text = body.dump();
  httplib::Result r = method == "DELETE" ? client_->Delete(path, text, "application/json")
                      : method == "PATCH" ? client_->Patch(path, text, "application/json")
                                          : client_->Post(path, text, "application/json");
  return Answer(r, method + " " + path, options_.url);
}

}  // namespace millstream::tools
