// A self-contained SVG (no scripts, fonts or links): the JCT CDF per policy
// on a log-x axis, and GPU utilisation over time. Coordinates are printed
// with fixed decimals so the file is as deterministic as the results.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "common/base/strings.h"
#include "scheduler/sim/report.h"

namespace muster::sim {
namespace {

constexpr double kWidth = 960, kPanelH = 340, kLeft = 70, kRight = 180, kTop = 50, kGap = 90;
const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};

std::string F(double v) { return FormatDouble("%.1f", v); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Text(double x, double y, const std::string& s, const char* anchor = "start", int size = 12) {
  return "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\" font-size=\"" + std::to_string(size) +
         "\" text-anchor=\"" + anchor + "\">" + Escape(s) + "</text>\n";
}

std::string Line(double x1, double y1, double x2, double y2, const char* stroke, double width = 1) {
  return "<line x1=\"" + F(x1) + "\" y1=\"" + F(y1) + "\" x2=\"" + F(x2) + "\" y2=\"" + F(y2) +
         "\" stroke=\"" + stroke + "\" stroke-width=\"" + F(width) + "\"/>\n";
}

std::string TimeLabel(double s) {
  if (s < 60) return std::to_string(static_cast<int64_t>(s)) + "s";
  if (s < 3600) return std::to_string(static_cast<int64_t>(s / 60)) + "m";
  if (s < 86400) return std::to_string(static_cast<int64_t>(s / 3600)) + "h";
  if (s == 7 * 86400) return "1w";
  if (s == 365 * 86400) return "1y";
  return std::to_string(static_cast<int64_t>(s / 86400)) + "d";
}

struct Panel {
  double x0, y0, w, h;  // plot area
};

std::string Frame(const Panel& p, const std::string& title, const std::string& ylabel) {
  std::string s = Text(p.x0, p.y0 - 14, title, "start", 15);
  s += "<rect x=\"" + F(p.x0) + "\" y=\"" + F(p.y0) + "\" width=\"" + F(p.w) + "\" height=\"" + F(p.h) +
       "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    double y = p.y0 + p.h - p.h * i / 4.0;
    s += Line(p.x0, y, p.x0 + p.w, y, "#ddd");
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.2f", i / 4.0);
    s += Text(p.x0 - 8, y + 4, buf, "end");
  }
  s += "<text x=\"" + F(p.x0 - 52) + "\" y=\"" + F(p.y0 + p.h / 2) +
       "\" font-size=\"12\" text-anchor=\"middle\" " + "transform=\"rotate(-90 " + F(p.x0 - 52) + " " +
       F(p.y0 + p.h / 2) + ")\">" + Escape(ylabel) + "</text>\n";
  return s;
}

std::string Legend(const Panel& p, const std::vector<PolicyResult>& results) {
  std::string s;
  for (size_t i = 0; i < results.size(); ++i) {
    double y = p.y0 + 16 + 20.0 * static_cast<double>(i);
    s += Line(p.x0 + p.w + 16, y - 4, p.x0 + p.w + 44, y - 4, kColors[i % 6], 2.5);
    s += Text(p.x0 + p.w + 50, y, results[i].name);
  }
  return s;
}

std::string CdfPanel(const Panel& p, const std::vector<PolicyResult>& results) {
  std::string s = Frame(p, "Job completion time, CDF (log scale)", "fraction of jobs");
  double lo = 1e300, hi = 0;
  for (const auto& r : results)
    if (!r.jct_sorted_s.empty()) {
      lo = std::min(lo, std::max(1.0, r.jct_sorted_s.front()));
      hi = std::max(hi, r.jct_sorted_s.back());
    }
  if (hi <= 0) return s + Text(p.x0 + p.w / 2, p.y0 + p.h / 2, "no finished jobs", "middle");
  int e0 = static_cast<int>(std::floor(std::log10(lo)));
  int e1 = std::max(e0 + 1, static_cast<int>(std::ceil(std::log10(std::max(hi, 1.0)))));
  auto xof = [&](double v) { return p.x0 + p.w * (std::log10(std::max(v, 1.0)) - e0) / (e1 - e0); };
  // Ticks at durations people think in, where they fall on the axis.
  const double kTicks[] = {1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 365 * 86400};
  for (double v : kTicks) {
    if (v < std::pow(10.0, e0) || v > std::pow(10.0, e1)) continue;
    double x = xof(v);
    s += Line(x, p.y0, x, p.y0 + p.h, "#eee");
    s += Text(x, p.y0 + p.h + 16, TimeLabel(v), "middle");
  }
  s += Text(p.x0 + p.w / 2, p.y0 + p.h + 36, "JCT (submission to completion)", "middle");
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& v = results[i].jct_sorted_s;
    if (v.empty()) continue;
    std::string pts;
    size_t n = v.size(), steps = std::min<size_t>(n, 500);
    double prev_y = p.y0 + p.h;
    pts += F(xof(v.front())) + "," + F(prev_y);
    for (size_t k = 1; k <= steps; ++k) {
      size_t idx = (k * n + steps - 1) / steps - 1;  // the job at this quantile
      double x = xof(v[idx]);
      double y = p.y0 + p.h - p.h * static_cast<double>(idx + 1) / static_cast<double>(n);
      // Appended piece by piece (GCC 12 warns falsely on "literal" + string).
      pts.append(" ").append(F(x)).append(",").append(F(prev_y));
      pts.append(" ").append(F(x)).append(",").append(F(y));
      prev_y = y;
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(kColors[i % 6]) +
         "\" stroke-width=\"1.8\" points=\"" + pts + "\"/>\n";
  }
  return s + Legend(p, results);
}

std::string UtilPanel(const Panel& p, const std::vector<PolicyResult>& results) {
  std::string s = Frame(p, "GPU utilisation over time (GPUs held / all GPUs)", "utilisation");
  double span = 0;
  for (const auto& r : results) span = std::max(span, r.bucket_s * static_cast<double>(r.util_series.size()));
  if (span <= 0) return s;
  double unit = span > 3 * 86400 ? 86400 : 3600;
  const char* unit_name = unit == 86400 ? "days" : "hours";
  // A 1-2-5 step giving at most 12 ticks.
  double step = 1;
  for (double base = 1;; base *= 10) {
    if (span / unit / (base) <= 12) {
      step = base;
      break;
    }
    if (span / unit / (2 * base) <= 12) {
      step = 2 * base;
      break;
    }
    if (span / unit / (5 * base) <= 12) {
      step = 5 * base;
      break;
    }
  }
  for (double t = 0; t <= span / unit + 1e-9; t += step) {
    double x = p.x0 + p.w * t * unit / span;
    s += Line(x, p.y0, x, p.y0 + p.h, "#eee");
    s += Text(x, p.y0 + p.h + 16, Num(t), "middle");
  }
  s += Text(p.x0 + p.w / 2, p.y0 + p.h + 36,
            std::string("time since the first submission (") + unit_name + ")", "middle");
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& u = results[i].util_series;
    if (u.empty()) continue;
    // At most ~800 points: average neighbouring buckets.
    size_t group = (u.size() + 799) / 800;
    std::string pts;
    for (size_t b = 0; b < u.size(); b += group) {
      double sum = 0;
      size_t n = 0;
      for (size_t k = b; k < std::min(u.size(), b + group); ++k, ++n) sum += u[k];
      double t = results[i].bucket_s * (static_cast<double>(b) + static_cast<double>(n) / 2);
      double x = p.x0 + p.w * t / span;
      double y = p.y0 + p.h - p.h * std::clamp(sum / static_cast<double>(n), 0.0, 1.0);
      if (!pts.empty()) pts.append(" ");
      pts.append(F(x)).append(",").append(F(y));
    }
    s += "<polyline fill=\"none\" stroke=\"" + std::string(kColors[i % 6]) +
         "\" stroke-width=\"1.3\" stroke-opacity=\"0.85\" points=\"" + pts + "\"/>\n";
  }
  return s + Legend(p, results);
}

}  // namespace

std::string RenderSvg(const SimInputs& in, const std::vector<PolicyResult>& results) {
  double height = kTop + 2 * kPanelH + kGap - 10;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + F(kWidth) + "\" height=\"" +
                  F(height) + "\" viewBox=\"0 0 " + F(kWidth) + " " + F(height) +
                  "\" font-family=\"sans-serif\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += Text(kLeft, 24,
            "muster-sim: " + in.trace_name + ", " + std::to_string(in.workload.jobs.size()) + " jobs, " +
                DescribeCluster(in.nodes),
            "start", 14);
  Panel cdf{kLeft, kTop + 10, kWidth - kLeft - kRight, kPanelH - 40};
  Panel util{kLeft, kTop + kPanelH + kGap - 20, kWidth - kLeft - kRight, kPanelH - 40};
  s += CdfPanel(cdf, results);
  s += UtilPanel(util, results);
  s += "</svg>\n";
  return s;
}

}  // namespace muster::sim
