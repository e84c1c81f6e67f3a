// `millstream bench burst --bootstrap HOST:PORT --scenario month-end|asn-surge|
// plant-startup|FILE [--scale X] [--duration S] --out result.json --plot result.svg`
//
// Runs the scenario (tools/burst_run.h) against a running broker, prints each
// goal with its figures, writes the JSON and the SVG. With --compare-classes it
// runs the scenario twice, the second time with every topic in one class, and
// reports both. Exit 0 when every measured goal was met, 1 when one was not or
// the run failed, 2 for bad arguments.
#include "tools/bench_burst.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>

#include "tools/burst_report.h"
#include "tools/burst_run.h"

namespace millstream::tools {

namespace {

struct BurstOptions {
  BurstRunOptions run;
  std::string scenario = "month-end";
  std::string scenario_dir = MILLSTREAM_SOURCE_DIR "/bench/scenarios";
  std::string out_path;
  std::string plot_path;
  bool compare_classes = false;
  bool no_metrics = false;
  std::string command;
};

bool WriteFile(const std::string& path, const std::string& text) {
  if (path.empty()) return true;
  if (path == "-") return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

int Run(BurstOptions& options) {
  Result<BurstScenario> scenario = LoadBurstScenario(options.scenario, options.scenario_dir);
  if (!scenario.ok()) {
    std::fprintf(stderr, "bench burst: %s\n", scenario.status().message().c_str());
    return 2;
  }
  options.run.sample_metrics = !options.no_metrics;
  if (options.run.topic_prefix.empty()) {
    options.run.topic_prefix = "burst-" + std::to_string(std::time(nullptr)) + "-";
  }
  std::vector<BurstRunResult> runs;
  BurstRunOptions first = options.run;
  // The first run's topics stay until the second ran: deleting gigabytes of
  // segments is disk work that would land in the second run's steady phase.
  if (options.compare_classes) first.keep_topics = true;
  runs.push_back(RunBurst(*scenario, first));
  if (options.compare_classes && runs[0].error.empty()) {
    BurstRunOptions second = options.run;
    second.priority_classes = false;
    second.capacity_bytes_per_s = runs[0].capacity_bytes_per_s;  // the same yardstick
    second.topic_prefix += "one-class-";
    runs.push_back(RunBurst(*scenario, second));
    runs.back().probe_seconds = runs[0].probe_seconds;
    runs.back().probe_saturated = runs[0].probe_saturated;
  }
  if (options.compare_classes && !options.run.keep_topics) DeleteBurstTopics(*scenario, first);
  bool all_met = true;
  for (const BurstRunResult& run : runs) {
    std::fprintf(stderr, "bench burst %s (%s): capacity %.1f MB/s, %.0f s\n", scenario->name.c_str(),
                 run.label.c_str(), run.capacity_bytes_per_s / 1e6, run.duration_s);
    if (!run.error.empty()) std::fprintf(stderr, "  the run failed: %s\n", run.error.c_str());
    if (!run.probe_saturated && options.run.capacity_bytes_per_s <= 0) {
      std::fprintf(stderr, "  the probe never outran the broker: the capacity is a lower bound (a longer --probe)\n");
    }
    for (const BurstGoal& goal : JudgeBurst(run)) {
      const char* verdict = !goal.measured ? "not measured" : goal.met ? "met" : "NOT MET";
      std::fprintf(stderr, "  %-58s %-12s %s\n", goal.name.c_str(), verdict, goal.detail.c_str());
      // The one-class run is the comparison: its latency goal is not expected to hold.
      bool counts = &run == &runs[0] || goal.name.find("critical") == std::string::npos;
      if (goal.measured && !goal.met && counts) all_met = false;
    }
    if (!run.error.empty()) all_met = false;
  }
  if (!WriteFile(options.out_path, BurstJson(*scenario, runs, options.command).dump(1) + "\n") ||
      !WriteFile(options.plot_path, BurstSvg(*scenario, runs))) {
    std::fprintf(stderr, "bench burst: cannot write %s or %s\n", options.out_path.c_str(), options.plot_path.c_str());
    return 1;
  }
  return all_met ? 0 : 1;
}

}  // namespace

void AddBenchBurst(CLI::App& bench, std::vector<std::function<int()>>& runners) {
  auto options = std::make_shared<BurstOptions>();
  CLI::App* burst = bench.add_subcommand(
      "burst", "A manufacturing event mix: steady, a surge past the measured capacity, steady again");
  AddClientOptions(*burst, options->run.client);
  burst->add_option("--scenario", options->scenario,
                    "month-end, asn-surge, plant-startup (bench/scenarios/), or a TOML file of your own")
      ->capture_default_str();
  burst->add_option("--scenario-dir", options->scenario_dir, "Where scenario names are looked up")
      ->capture_default_str();
  burst->add_option("--scale", options->run.scale, "Multiplies every rate of the scenario")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 100.0));
  burst->add_option("--duration", options->run.duration_s, "Seconds of the scenario (default: the file's)")
      ->check(CLI::Range(1.0, 86400.0));
  burst->add_option("--probe", options->run.probe_s, "Seconds of the capacity probe (default: the file's)")
      ->check(CLI::Range(2.0, 3600.0));
  burst->add_option("--capacity-mb", options->run.capacity_bytes_per_s,
                    "Skip the probe: the capacity in MB/s (10^6 bytes) measured before")
      ->check(CLI::Range(0.001, 1e6))
      ->transform([](std::string v) { return std::to_string(std::stod(v) * 1e6); });
  burst->add_option("--out", options->out_path, "Write the result as JSON to FILE ('-': stdout)");
  burst->add_option("--plot", options->plot_path, "Draw the result as SVG to FILE");
  burst->add_flag("--compare-classes", options->compare_classes,
                  "Run the scenario a second time with every topic in one class, for comparison");
  burst->add_option("--topic-prefix", options->run.topic_prefix,
                    "Prefix of the run's topics and groups (default: burst-<unix time>-)");
  burst->add_flag("--keep-topics", options->run.keep_topics, "Leave the run's topics on the broker");
  burst->add_option("--admin", options->run.admin.url,
                    "The broker's HTTP listener, for its memory and refusals from /metrics")
      ->capture_default_str();
  burst->add_flag("--no-metrics", options->no_metrics, "Do not read the broker's /metrics");
  runners.push_back([burst, options] {
    if (!burst->parsed()) return -1;
    // The command as given, for the JSON (each figure travels with its command).
    options->command = "millstream bench burst";
    for (const CLI::Option* option : burst->get_options()) {
      if (option->count() == 0 || option->get_name() == "--help") continue;
      options->command += " " + option->get_name();
      if (option->get_expected_min() == 0) continue;  // a flag: its name says it
      for (const std::string& value : option->results()) options->command += " " + value;
    }
    return Run(*options);
  });
}

}  // namespace millstream::tools
