"""Statistics for the weather research program: turns Open-Meteo daily arrays into summaries.

Runs inside a sandbox session, concatenated before tidepool_weather.py. Standard library only.
Every series may hold nulls (archive delay, horizon ends, model gaps): nulls are skipped, never
treated as zero, and a summary says how many days had no data.
"""

import math

WET_DAY_MM = 1.0
# A reference year with more missing days than this is left out of "typical" (reference recipe).
MAX_MISSING_SHARE = 0.2


def _number(value):
    """A finite float, or None for null / NaN / anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _code(value):
    number = _number(value)
    return int(round(number)) if number is not None else None


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _round(value, digits=2):
    return None if value is None else round(value, digits)


def _percentile(values, p):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[min(rank, len(values)) - 1]


def daily_rows(daily, fields):
    """Open-Meteo's column arrays → one dict per day. Raises ValueError on a malformed section."""
    if not isinstance(daily, dict) or not isinstance(daily.get("time"), list):
        raise ValueError("the response has no daily.time list")
    times = daily["time"]
    rows = []
    for index, date in enumerate(times):
        row = {"date": str(date)}
        for key, source in fields.items():
            column = daily.get(source)
            value = column[index] if isinstance(column, list) and index < len(column) else None
            row[key] = _code(value) if key == "code" else (value if isinstance(value, str) else _number(value))
        rows.append(row)
    return rows


def condition_group(code):
    if code is None:
        return "unknown"
    if code <= 1:
        return "clear"
    if code <= 3:
        return "cloudy"
    if code in (45, 48):
        return "fog"
    if 51 <= code <= 67 or 80 <= code <= 82:
        return "rain"
    if 71 <= code <= 77 or code in (85, 86):
        return "snow"
    if code >= 95:
        return "thunder"
    return "unknown"


def _extreme(rows, key, pick):
    candidates = [row for row in rows if row.get(key) is not None]
    if not candidates:
        return None
    best = pick(candidates, key=lambda row: row[key])
    return {"date": best["date"], "value": best[key]}


def summarize_days(rows):
    """What actually happened over some days: means, totals, wet days, extremes."""
    highs = [row.get("high") for row in rows]
    lows = [row.get("low") for row in rows]
    precipitation = [row.get("precipitation") for row in rows if row.get("precipitation") is not None]
    sunshine = [row.get("sunshine") for row in rows]
    mean_sunshine = _mean(sunshine)
    return {
        "days": len(rows),
        "missingDays": sum(1 for row in rows if row.get("high") is None and row.get("low") is None),
        "meanHighC": _round(_mean(highs)),
        "meanLowC": _round(_mean(lows)),
        "totalPrecipitationMm": _round(sum(precipitation), 1) if precipitation else None,
        "wetDays": sum(1 for value in precipitation if value >= WET_DAY_MM) if precipitation else None,
        "sunshineHoursPerDay": _round(mean_sunshine / 3600) if mean_sunshine is not None else None,
        "hottest": _extreme(rows, "high", max),
        "coldest": _extreme(rows, "low", min),
    }


def summarize_typical(years, target_dates):
    """Typical weather for a window from the same days in several past years.

    years: [{"year": int, "rows": [...]}] with rows aligned to target_dates by position.
    Returns the summary, per-day climatology, and which years were used or skipped (and why).
    """
    used, skipped = [], []
    for entry in years:
        rows = entry["rows"]
        missing = sum(1 for row in rows if row.get("high") is None)
        if not rows or missing > MAX_MISSING_SHARE * len(rows):
            skipped.append({"year": entry["year"], "reason": f"{missing} of {len(rows)} days missing"})
        else:
            used.append(entry)
    if not used:
        return {"yearsUsed": [], "yearsSkipped": skipped, "summary": None, "days": []}
    all_rows = [row for entry in used for row in entry["rows"]]
    highs = [row.get("high") for row in all_rows]
    lows = [row.get("low") for row in all_rows]
    precipitation = [row.get("precipitation") for row in all_rows if row.get("precipitation") is not None]
    totals = [sum(row["precipitation"] for row in entry["rows"] if row.get("precipitation") is not None) for entry in used]
    sunshine = _mean(row.get("sunshine") for row in all_rows)
    window_days = len(target_dates)
    mix = {}
    for row in all_rows:
        group = condition_group(row.get("code"))
        mix[group] = mix.get(group, 0) + 1
    summary = {
        "meanHighC": _round(_mean(highs)),
        "meanLowC": _round(_mean(lows)),
        "p10HighC": _round(_percentile(highs, 10)),
        "p90HighC": _round(_percentile(highs, 90)),
        "p10LowC": _round(_percentile(lows, 10)),
        "p90LowC": _round(_percentile(lows, 90)),
        "totalPrecipitationMm": _round(_mean(totals), 1),
        "wetDays": _round(sum(1 for v in precipitation if v >= WET_DAY_MM) / len(precipitation) * window_days, 1) if precipitation else None,
        "sunshineHoursPerDay": _round(sunshine / 3600) if sunshine is not None else None,
        "recordHigh": _extreme(all_rows, "high", max),
        "recordLow": _extreme(all_rows, "low", min),
        "conditions": {group: round(count / len(all_rows), 3) for group, count in sorted(mix.items())},
    }
    days = []
    for index, date in enumerate(target_dates):
        same_day = [entry["rows"][index] for entry in used if index < len(entry["rows"])]
        wet = [row["precipitation"] for row in same_day if row.get("precipitation") is not None]
        days.append({
            "date": date,
            "highC": _round(_mean(row.get("high") for row in same_day), 1),
            "lowC": _round(_mean(row.get("low") for row in same_day), 1),
            "precipitationMm": _round(_mean(wet), 1),
            "wetChance": _round(sum(1 for v in wet if v >= WET_DAY_MM) / len(wet), 2) if wet else None,
        })
    return {"yearsUsed": [entry["year"] for entry in used], "yearsSkipped": skipped, "summary": summary, "days": days}
