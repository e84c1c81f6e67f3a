#include "tools/burst_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace millstream::tools {

namespace {

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }
double Mb(double bytes) { return bytes / 1e6; }

std::string Fixed(double v, int digits = 2) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", digits, v);
  return text;
}

// The ack latencies of class `cls` over the seconds `pick` selects.
template <typename Pick>
LatencyHistogram Merged(const BurstRunResult& run, size_t cls, Pick pick) {
  LatencyHistogram merged;
  for (size_t i = 0; i < run.seconds.size(); ++i) {
    if (pick(i)) merged.Merge(run.seconds[i].ack_ns[cls]);
  }
  return merged;
}

bool InRun(const BurstRunResult& run, size_t i) { return static_cast<double>(i) + 1 <= run.duration_s; }

// Steady state: the seconds before the first surge second.
size_t FirstSurge(const BurstRunResult& run) {
  for (size_t i = 0; i < run.surge_second.size(); ++i) {
    if (run.surge_second[i]) return i;
  }
  return run.surge_second.size();
}

// Lag per second: records acknowledged (times their readers) minus records read.
std::vector<int64_t> Lag(const BurstRunResult& run) {
  std::vector<int64_t> lag;
  int64_t expected = 0, read = 0;
  for (const BurstSecond& s : run.seconds) {
    expected += s.expected_reads;
    read += s.consumed_records;
    lag.push_back(std::max<int64_t>(expected - read, 0));
  }
  return lag;
}

}  // namespace

std::vector<BurstGoal> JudgeBurst(const BurstRunResult& run) {
  std::vector<BurstGoal> goals;
  BurstGoal loss{"nothing acknowledged is lost", true, false, ""};
  loss.met = run.error.empty() && run.lost == 0 && run.duplicates == 0;
  loss.detail = std::to_string(run.acked) + " acknowledged, " + std::to_string(run.lost) + " not consumed, " +
                std::to_string(run.duplicates) + " consumed twice, " + std::to_string(run.failed) +
                " refused to the producer" + (run.error.empty() ? "" : "; " + run.error);
  goals.push_back(loss);

  BurstGoal memory{"broker memory within its budgets plus a fixed overhead", false, false, "not sampled"};
  double peak = -1;
  for (const BurstSecond& s : run.seconds) peak = std::max(peak, s.rss_bytes);
  if (peak > 0 && run.baseline_rss_bytes > 0 && run.request_budget_bytes > 0) {
    double limit = run.baseline_rss_bytes + run.request_budget_bytes + run.fetch_budget_bytes + kMemoryOverheadBytes;
    memory.measured = true;
    memory.met = peak <= limit;
    memory.detail = "peak resident " + Fixed(peak / (1 << 20), 0) + " MiB <= " + Fixed(limit / (1 << 20), 0) +
                    " MiB (at start " + Fixed(run.baseline_rss_bytes / (1 << 20), 0) + " + request budget " +
                    Fixed(run.request_budget_bytes / (1 << 20), 0) + " + fetch budget " +
                    Fixed(run.fetch_budget_bytes / (1 << 20), 0) + " + " +
                    Fixed(kMemoryOverheadBytes / (1 << 20), 0) + ")";
  }
  goals.push_back(memory);

  // The surge's first second is its ramp: left out.
  BurstGoal throughput{"acknowledged throughput in the surge >= 90% of capacity", false, false, "no surge"};
  double bytes = 0;
  int surge_seconds = 0;
  size_t first = FirstSurge(run);
  for (size_t i = first + 1; i < run.seconds.size() && InRun(run, i); ++i) {
    if (!run.surge_second[i]) continue;
    bytes += static_cast<double>(run.seconds[i].acked_bytes);
    ++surge_seconds;
  }
  if (surge_seconds > 0 && run.capacity_bytes_per_s > 0) {
    double ratio = bytes / surge_seconds / run.capacity_bytes_per_s;
    throughput.measured = true;
    throughput.met = ratio >= 0.9;
    throughput.detail = Fixed(Mb(bytes / surge_seconds)) + " MB/s acknowledged = " + Fixed(ratio) +
                        " of the capacity " + Fixed(Mb(run.capacity_bytes_per_s)) + " MB/s";
  }
  goals.push_back(throughput);

  BurstGoal latency{"critical p99 ack latency in the surge <= 2x steady", false, false, "no critical records"};
  LatencyHistogram steady = Merged(run, 0, [&](size_t i) { return i < first; });
  LatencyHistogram surge = Merged(run, 0, [&](size_t i) { return run.surge_second[i]; });
  if (steady.count() > 0 && surge.count() > 0) {
    double ratio = static_cast<double>(surge.Percentile(0.99)) / std::max<double>(steady.Percentile(0.99), 1);
    latency.measured = true;
    latency.met = ratio <= 2;
    latency.detail = "p99 " + Fixed(Ms(surge.Percentile(0.99))) + " ms in the surge, " +
                     Fixed(Ms(steady.Percentile(0.99))) + " ms steady: " + Fixed(ratio) + "x";
  }
  goals.push_back(latency);
  return goals;
}

nlohmann::ordered_json BurstJson(const BurstScenario& scenario, const std::vector<BurstRunResult>& runs,
                                 const std::string& command) {
  nlohmann::ordered_json out = {{"scenario", scenario.name}, {"command", command}};
  out["runs"] = nlohmann::ordered_json::array();
  for (const BurstRunResult& run : runs) {
    nlohmann::ordered_json r = {{"label", run.label},
                                {"capacity_mb_per_s", Mb(run.capacity_bytes_per_s)},
                                {"probe_seconds", run.probe_seconds},
                                {"probe_saturated", run.probe_saturated},
                                {"duration_s", run.duration_s},
                                {"acknowledged", run.acked},
                                {"lost", run.lost},
                                {"duplicates", run.duplicates},
                                {"refused_to_producers", run.failed},
                                {"storm_answered", run.storm_answered},
                                {"storm_refused", run.storm_refused},
                                {"error", run.error}};
    r["goals"] = nlohmann::ordered_json::array();
    for (const BurstGoal& g : JudgeBurst(run)) {
      r["goals"].push_back({{"goal", g.name}, {"measured", g.measured}, {"met", g.met}, {"detail", g.detail}});
    }
    size_t first = FirstSurge(run);
    nlohmann::ordered_json phases = nlohmann::ordered_json::object();
    for (const char* which : {"steady", "surge"}) {
      bool surge = std::string(which) == "surge";
      nlohmann::ordered_json p = nlohmann::ordered_json::object();
      for (size_t c = 0; c < 3; ++c) {
        LatencyHistogram h = Merged(run, c, [&](size_t i) { return surge ? bool(run.surge_second[i]) : i < first; });
        if (h.count() == 0) continue;
        p[ClassName(c)] = {{"p50_ms", Ms(h.Percentile(0.5))},
                             {"p99_ms", Ms(h.Percentile(0.99))},
                             {"p999_ms", Ms(h.Percentile(0.999))}};
      }
      phases[which] = p;
    }
    r["ack_latency"] = phases;
    std::vector<int64_t> lag = Lag(run);
    r["seconds"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < run.seconds.size(); ++i) {
      const BurstSecond& s = run.seconds[i];
      nlohmann::ordered_json j = {{"t", i},
                                  {"phase", run.phase_of_second[i]},
                                  {"offered_records", s.offered_records},
                                  {"offered_mb", Mb(static_cast<double>(s.offered_bytes))},
                                  {"acked_records", s.acked_records},
                                  {"acked_mb", Mb(static_cast<double>(s.acked_bytes))},
                                  {"consumed_records", s.consumed_records},
                                  {"consumed_mb", Mb(static_cast<double>(s.consumed_bytes))},
                                  {"failed_records", s.failed_records},
                                  {"lag_records", lag[i]},
                                  {"throttle_ms", s.throttle_ms},
                                  {"refused", s.refused},
                                  {"broker_rss_mib", s.rss_bytes < 0 ? -1 : s.rss_bytes / (1 << 20)},
                                  {"request_memory_mib", s.request_memory_bytes < 0 ? -1 : s.request_memory_bytes / (1 << 20)},
                                  {"fetch_memory_mib", s.fetch_memory_bytes < 0 ? -1 : s.fetch_memory_bytes / (1 << 20)},
                                  {"storm_open", s.storm_open},
                                  {"end_to_end_p99_ms", Ms(s.end_to_end_ns.Percentile(0.99))}};
      for (size_t c = 0; c < 3; ++c) {
        const LatencyHistogram& h = s.ack_ns[c];
        if (h.count() == 0) continue;
        j[std::string("ack_") + ClassName(c)] = {
            {"p50_ms", Ms(h.Percentile(0.5))}, {"p99_ms", Ms(h.Percentile(0.99))}, {"p999_ms", Ms(h.Percentile(0.999))}};
      }
      r["seconds"].push_back(j);
    }
    out["runs"].push_back(r);
  }
  return out;
}

namespace {

// One panel of the plot: a y axis from 0 (or log), lines over seconds.
class Panel {
 public:
  Panel(std::string& svg, double top, std::string title, double x_max, double y_max, bool log_scale)
      : svg_(svg), top_(top), x_max_(std::max(x_max, 1.0)), y_max_(y_max > 0 ? y_max * 1.1 : 1), log_(log_scale) {
    svg_ += "<text x='60' y='" + Fixed(top_ - 8, 0) + "' font-weight='bold'>" + title + "</text>\n";
    svg_ += "<rect x='60' y='" + Fixed(top_, 0) + "' width='" + Fixed(kWidth, 0) + "' height='" + Fixed(kHeight, 0) +
            "' fill='none' stroke='#999'/>\n";
    for (int k = 0; k <= 4; ++k) {
      double v = log_ ? std::pow(10, std::log10(kLogFloor) + (std::log10(y_max_) - std::log10(kLogFloor)) * k / 4)
                      : y_max_ * k / 4;
      svg_ += "<text x='55' y='" + Fixed(Y(v) + 4, 0) + "' text-anchor='end' font-size='11'>" +
              Fixed(v, v < 10 ? 1 : 0) + "</text>\n";
    }
  }
  static constexpr double kWidth = 900, kHeight = 170, kLogFloor = 0.1;

  void Shade(double from, double to) {
    svg_ += "<rect x='" + Fixed(X(from), 1) + "' y='" + Fixed(top_, 0) + "' width='" + Fixed(X(to) - X(from), 1) +
            "' height='" + Fixed(kHeight, 0) + "' fill='#fbe3c8'/>\n";
  }
  void Line(const std::vector<double>& ys, const std::string& color, bool dashed, const std::string& label,
            int legend_slot) {
    std::string points;
    for (size_t i = 0; i < ys.size(); ++i) {
      if (ys[i] < 0) continue;
      points += Fixed(X(static_cast<double>(i) + 0.5), 1) + "," + Fixed(Y(ys[i]), 1) + " ";
    }
    svg_ += "<polyline fill='none' stroke='" + color + "' stroke-width='1.6'" +
            (dashed ? " stroke-dasharray='5,3'" : "") + " points='" + points + "'/>\n";
    double lx = 70 + 170 * legend_slot;
    svg_ += "<line x1='" + Fixed(lx, 0) + "' x2='" + Fixed(lx + 18, 0) + "' y1='" + Fixed(top_ + 12, 0) + "' y2='" +
            Fixed(top_ + 12, 0) + "' stroke='" + color + "' stroke-width='2'" +
            (dashed ? " stroke-dasharray='5,3'" : "") + "/><text x='" + Fixed(lx + 22, 0) + "' y='" +
            Fixed(top_ + 16, 0) + "' font-size='11'>" + label + "</text>\n";
  }
  void Level(double y, const std::string& color, const std::string& label) {
    svg_ += "<line x1='60' x2='" + Fixed(60 + kWidth, 0) + "' y1='" + Fixed(Y(y), 1) + "' y2='" + Fixed(Y(y), 1) +
            "' stroke='" + color + "' stroke-dasharray='2,2'/><text x='" + Fixed(58 + kWidth, 0) + "' y='" +
            Fixed(Y(y) - 3, 1) + "' text-anchor='end' font-size='11' fill='" + color + "'>" + label + "</text>\n";
  }

 private:
  double X(double t) const { return 60 + kWidth * t / x_max_; }
  double Y(double v) const {
    double f = log_ ? (std::log10(std::max(v, kLogFloor)) - std::log10(kLogFloor)) /
                          (std::log10(y_max_) - std::log10(kLogFloor))
                    : v / y_max_;
    return top_ + kHeight * (1 - std::clamp(f, 0.0, 1.0));
  }
  std::string& svg_;
  double top_, x_max_, y_max_;
  bool log_;
};

}  // namespace

std::string BurstSvg(const BurstScenario& scenario, const std::vector<BurstRunResult>& runs) {
  const double kPanelStep = 230;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='" + Fixed(60 + 4 * kPanelStep, 0) +
                    "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
  if (runs.empty()) return svg + "</svg>\n";
  const BurstRunResult& run = runs[0];
  svg += "<text x='60' y='22' font-size='15' font-weight='bold'>millstream bench burst: " + scenario.name +
         " (capacity " + Fixed(Mb(run.capacity_bytes_per_s)) + " MB/s; shaded: surge)</text>\n";
  double x_max = static_cast<double>(run.seconds.size());
  auto series = [&](const BurstRunResult& r, auto value) {
    std::vector<double> out;
    for (const BurstSecond& s : r.seconds) out.push_back(value(s));
    return out;
  };
  auto shade = [&](Panel& panel) {
    for (size_t i = 0; i < run.surge_second.size(); ++i) {
      if (run.surge_second[i]) panel.Shade(static_cast<double>(i), static_cast<double>(i) + 1);
    }
  };
  // 1: throughput.
  std::vector<double> offered = series(run, [](const BurstSecond& s) { return Mb(static_cast<double>(s.offered_bytes)); });
  std::vector<double> acked = series(run, [](const BurstSecond& s) { return Mb(static_cast<double>(s.acked_bytes)); });
  std::vector<double> consumed = series(run, [](const BurstSecond& s) { return Mb(static_cast<double>(s.consumed_bytes)); });
  double top_mb = std::max({*std::max_element(offered.begin(), offered.end()),
                            *std::max_element(acked.begin(), acked.end()),
                            *std::max_element(consumed.begin(), consumed.end()), Mb(run.capacity_bytes_per_s)});
  Panel throughput(svg, 60, "MB/s per second", x_max, top_mb, false);
  shade(throughput);
  throughput.Line(offered, "#999999", false, "offered", 0);
  throughput.Line(acked, "#1f77b4", false, "acknowledged", 1);
  throughput.Line(consumed, "#2ca02c", false, "consumed (all groups)", 2);
  throughput.Level(Mb(run.capacity_bytes_per_s), "#d62728", "capacity");
  // 2: ack latency p99 per class (log scale); the one-class run dashed.
  const char* colors[3] = {"#d62728", "#ff7f0e", "#9467bd"};
  double top_ms = 1;
  for (const BurstRunResult& r : runs) {
    for (const BurstSecond& s : r.seconds) {
      for (size_t c = 0; c < 3; ++c) top_ms = std::max(top_ms, Ms(s.ack_ns[c].Percentile(0.99)));
    }
  }
  Panel latency(svg, 60 + kPanelStep, "ack latency p99 per second, ms (log scale)", x_max, top_ms, true);
  shade(latency);
  int slot = 0;
  for (size_t r = 0; r < runs.size() && r < 2; ++r) {
    for (size_t c = 0; c < 3; ++c) {
      std::vector<double> p99 = series(runs[r], [c](const BurstSecond& s) {
        return s.ack_ns[c].count() > 0 ? Ms(s.ack_ns[c].Percentile(0.99)) : -1.0;
      });
      if (std::all_of(p99.begin(), p99.end(), [](double v) { return v < 0; })) continue;
      if (r == 1 && c != 0) continue;  // the comparison: critical only
      std::string label = std::string(ClassName(c)) + (r == 1 ? " (" + runs[r].label + ")" : "");
      latency.Line(p99, colors[c], r == 1, label, slot++);
    }
  }
  // 3: consumer lag.
  std::vector<int64_t> lag = Lag(run);
  std::vector<double> lag_k;
  for (int64_t v : lag) lag_k.push_back(static_cast<double>(v) / 1000);
  Panel lag_panel(svg, 60 + 2 * kPanelStep, "consumer lag, thousands of records (all groups)", x_max,
                  *std::max_element(lag_k.begin(), lag_k.end()), false);
  shade(lag_panel);
  lag_panel.Line(lag_k, "#8c564b", false, "lag", 0);
  // 4: broker memory.
  std::vector<double> rss = series(run, [](const BurstSecond& s) { return s.rss_bytes / (1 << 20); });
  std::vector<double> request = series(run, [](const BurstSecond& s) { return s.request_memory_bytes / (1 << 20); });
  double limit = run.baseline_rss_bytes > 0 && run.request_budget_bytes > 0
                     ? (run.baseline_rss_bytes + run.request_budget_bytes + run.fetch_budget_bytes + kMemoryOverheadBytes) /
                           (1 << 20)
                     : -1;
  Panel memory(svg, 60 + 3 * kPanelStep, "broker memory, MiB (x: seconds)", x_max,
               std::max({*std::max_element(rss.begin(), rss.end()), limit, 1.0}), false);
  shade(memory);
  memory.Line(rss, "#1f77b4", false, "resident", 0);
  memory.Line(request, "#17becf", false, "requests in flight", 1);
  if (limit > 0) memory.Level(limit, "#d62728", "goal limit");
  return svg + "</svg>\n";
}

}  // namespace millstream::tools
