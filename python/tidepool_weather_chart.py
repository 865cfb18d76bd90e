"""Chart for the weather tools: daily high/low lines and precipitation bars, drawn in the sandbox.

Concatenated after tidepool_weather.py; entry point tidepool_weather_chart_main(args). The PNG is
saved under a relative name, i.e. in the session's data directory (/mnt/data), where the host
downloads it through the session's files API.
"""

import datetime


def _chart_series(report):
    """All days a place report covers, oldest first: recorded, forecast, then typical."""
    points = {}
    for day in (report.get("past") or {}).get("days") or []:
        points[day["date"]] = (day.get("high"), day.get("low"), day.get("precipitation"), "recorded")
    for day in report.get("forecast") or []:
        points[day["date"]] = (day.get("high"), day.get("low"), day.get("precipitation"), "forecast")
    for day in (report.get("typical") or {}).get("days") or []:
        points[day["date"]] = (day.get("highC"), day.get("lowC"), day.get("precipitationMm"), "typical")
    return [(datetime.date.fromisoformat(date),) + values for date, values in sorted(points.items())]


def _nan(value):
    return float("nan") if value is None else value


def draw_weather_chart(series, file_name, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    try:
        width = 0.8 / max(1, len(series))
        for index, (label, points) in enumerate(series):
            color = f"C{index}"
            dates = [point[0] for point in points]
            typical = any(point[4] == "typical" for point in points)
            suffix = " (typical)" if typical and all(point[4] == "typical" for point in points) else ""
            top.plot(dates, [_nan(point[1]) for point in points], color=color, marker="o", markersize=3, label=f"{label} high{suffix}")
            top.plot(dates, [_nan(point[2]) for point in points], color=color, linestyle="--", marker=".", markersize=3, label=f"{label} low{suffix}")
            offset = (index - (len(series) - 1) / 2) * width
            bottom.bar([mdates.date2num(date) + offset for date in dates], [point[3] or 0 for point in points], width=width, color=color, label=label)
        top.set_title(title)
        top.set_ylabel("Temperature (°C)")
        top.secondary_yaxis("right", functions=(lambda c: c * 1.8 + 32, lambda f: (f - 32) / 1.8)).set_ylabel("°F")
        top.grid(True, alpha=0.3)
        top.legend(fontsize="small", ncol=2)
        bottom.set_ylabel("Precipitation (mm)")
        bottom.grid(True, axis="y", alpha=0.3)
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
        fig.autofmt_xdate()
        fig.tight_layout()
        fig.savefig(file_name, format="png", dpi=100)
    finally:
        # Closed here so the kernel does not also send the figure back as an inline image.
        plt.close(fig)


def tidepool_weather_chart_main(args):
    try:
        result = research(args)
        chart = args["chart"]
        series = []
        for report in result["places"]:
            if report.get("ok"):
                points = _chart_series(report)
                if points:
                    series.append((report["place"].get("name") or report["query"], points))
        if series:
            draw_weather_chart(series, chart["file"], chart["title"])
            result["chart"] = {"file": chart["file"]}
    except Exception as error:  # noqa: BLE001 - the user gets a message, never a traceback
        result = {"fatal": f"The weather chart program failed ({type(error).__name__}: {error})."}
    emit(result)
