"""Tidepool's weather research program: runs inside a sandbox session and talks to Open-Meteo.

The host sends this source (after tidepool_weather_stats.py) followed by one call,
`tidepool_weather_main(<args decoded from base64 JSON>)`; user text only ever arrives as data.
The answer is one line on stdout: RESULT_MARKER + JSON. Every failure becomes a readable message
in that JSON: nothing here lets a traceback escape.

Standard library only (urllib), so it also runs where `requests` is missing, and starts fast.
Requests are made one at a time (Open-Meteo processes one request per client IP at a time).
"""

import json
import socket
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

RESULT_MARKER = "\x1eTIDEPOOL_WEATHER_RESULT "

# The original tool's built-in table: these never need a geocoding call.
KNOWN_CITIES = {
    "new york": ("New York", 40.7128, -74.0060, "America/New_York", "New York"),
    "los angeles": ("Los Angeles", 34.0522, -118.2437, "America/Los_Angeles", "California"),
    "chicago": ("Chicago", 41.8781, -87.6298, "America/Chicago", "Illinois"),
    "houston": ("Houston", 29.7604, -95.3698, "America/Chicago", "Texas"),
    "phoenix": ("Phoenix", 33.4484, -112.0740, "America/Phoenix", "Arizona"),
    "philadelphia": ("Philadelphia", 39.9526, -75.1652, "America/New_York", "Pennsylvania"),
    "san antonio": ("San Antonio", 29.4241, -98.4936, "America/Chicago", "Texas"),
    "san diego": ("San Diego", 32.7157, -117.1611, "America/Los_Angeles", "California"),
    "dallas": ("Dallas", 32.7767, -96.7970, "America/Chicago", "Texas"),
    "san jose": ("San Jose", 37.3382, -121.8863, "America/Los_Angeles", "California"),
}
CITY_ALIASES = {"nyc": "new york", "new york city": "new york", "la": "los angeles", "philly": "philadelphia"}

CURRENT_VARIABLES = "temperature_2m,relative_humidity_2m,apparent_temperature,is_day,precipitation,weather_code,cloud_cover,wind_speed_10m,wind_direction_10m"
FORECAST_DAILY = "weather_code,temperature_2m_max,temperature_2m_min,precipitation_sum,precipitation_probability_max,wind_speed_10m_max,uv_index_max,sunrise,sunset"
# No UV or probability here: the reanalysis has neither.
ARCHIVE_DAILY = "weather_code,temperature_2m_max,temperature_2m_min,temperature_2m_mean,precipitation_sum,precipitation_hours,sunshine_duration"

FORECAST_FIELDS = {"code": "weather_code", "high": "temperature_2m_max", "low": "temperature_2m_min", "precipitation": "precipitation_sum",
                   "precipitationProbability": "precipitation_probability_max", "windMax": "wind_speed_10m_max", "uvMax": "uv_index_max",
                   "sunrise": "sunrise", "sunset": "sunset"}
ARCHIVE_FIELDS = {"code": "weather_code", "high": "temperature_2m_max", "low": "temperature_2m_min", "mean": "temperature_2m_mean",
                  "precipitation": "precipitation_sum", "precipitationHours": "precipitation_hours", "sunshine": "sunshine_duration"}

PATHS = {"geocoding": "/v1/search", "forecast": "/v1/forecast", "archive": "/v1/archive"}

# Geocoding and archive answers rarely change: keep them for the life of the session.
_CACHE = globals().setdefault("_TIDEPOOL_WEATHER_CACHE", {})


class WeatherFailure(Exception):
    """A failure with a message fit to show the user as is."""


class OpenMeteo:
    def __init__(self, urls, timeout_seconds, retry_delay_seconds):
        self.urls = urls
        self.timeout = timeout_seconds
        self.retry_delay = retry_delay_seconds
        self.calls = 0

    def get(self, api, params, cache=False):
        url = self.urls[api].rstrip("/") + PATHS[api] + "?" + urllib.parse.urlencode(params)
        if cache and url in _CACHE:
            return _CACHE[url]
        for attempt in (1, 2):
            try:
                data = self._get_once(api, url)
                break
            except _Retryable as retry:
                # Back off once on 429/503, as Open-Meteo asks; then report.
                if attempt == 2:
                    raise WeatherFailure(retry.message) from None
                time.sleep(min(retry.delay if retry.delay is not None else self.retry_delay, 30))
        if cache:
            _CACHE[url] = data
        return data

    def _get_once(self, api, url):
        label = f"Open-Meteo {api}"
        self.calls += 1
        request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "tidepool-weather"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            reason = _reason(error)
            if error.code in (429, 503):
                raise _Retryable(f"{label} is busy or rate limiting (HTTP {error.code}: {reason}). Wait a minute and try again.", _retry_after(error)) from None
            raise WeatherFailure(f"{label} answered HTTP {error.code}: {reason}.") from None
        except (socket.timeout, TimeoutError):
            raise WeatherFailure(f"{label} did not answer within {self.timeout:g} s; try again later.") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise WeatherFailure(f"{label} did not answer within {self.timeout:g} s; try again later.") from None
            raise WeatherFailure(f"Could not reach {label} ({error.reason}); check the network or the OPEN_METEO_*_URL settings.") from None
        except (OSError, ValueError) as error:
            raise WeatherFailure(f"Could not reach {label} ({error}); check the network or the OPEN_METEO_*_URL settings.") from None
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            preview = body[:60].decode("utf-8", "replace").strip()
            raise WeatherFailure(f"{label} sent a response that is not valid JSON ({preview!r}); try again later.") from None


class _Retryable(Exception):
    def __init__(self, message, delay):
        super().__init__(message)
        self.message = message
        self.delay = delay


def _reason(error):
    try:
        body = json.loads(error.read().decode("utf-8"))
        return str(body.get("reason") or "no reason given").rstrip(".")
    except Exception:  # noqa: BLE001 - an error body may be anything
        return error.reason.rstrip(".") if isinstance(error.reason, str) and error.reason else "no reason given"


def _retry_after(error):
    try:
        return float(error.headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None


def _fold(text):
    text = unicodedata.normalize("NFD", str(text or ""))
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Mn").lower().split())


def _describe(place):
    return ", ".join(part for part in (place.get("name"), place.get("admin1"), place.get("country")) if part)


def _matches(result, qualifiers):
    for qualifier in qualifiers:
        names = {_fold(qualifier.get("text")), _fold(qualifier.get("region"))}
        if qualifier.get("countryCode") and result.get("country_code") == qualifier["countryCode"]:
            continue
        if _fold(result.get("admin1")) in names or _fold(result.get("country")) in names:
            continue
        return False
    return True


def _rank(result):
    code = result.get("feature_code") or ""
    weight = 2 if code == "PPLC" else 1 if code.startswith("PPLA") else 0
    return (result.get("population") or 0, weight)


def _known_city(name, qualifiers):
    key = CITY_ALIASES.get(_fold(name), _fold(name))
    city = KNOWN_CITIES.get(key)
    if not city:
        return None
    label, lat, lon, timezone, state = city
    for qualifier in qualifiers:
        if qualifier.get("countryCode") != "US" and _fold(qualifier.get("region")) != _fold(state):
            return None
    return {"name": label, "latitude": lat, "longitude": lon, "timezone": timezone, "country": "United States",
            "countryCode": "US", "admin1": state, "source": "table"}


def locate(client, spec):
    """The place a query names: the built-in table, else geocoding (with the no-comma fallback)."""
    place = _known_city(spec["name"], spec.get("qualifiers") or [])
    if place:
        return place
    attempts = [spec] + ([spec["fallback"]] if spec.get("fallback") else [])
    for attempt in attempts:
        params = {"name": attempt["name"], "count": 10, "language": "en", "format": "json"}
        if attempt.get("countryCode"):
            params["countryCode"] = attempt["countryCode"]
        body = client.get("geocoding", params, cache=True)
        if not isinstance(body, dict):
            raise WeatherFailure("Open-Meteo geocoding sent data in an unexpected shape; try again later.")
        # No match → no "results" key at all (not an empty list).
        results = [r for r in (body.get("results") or []) if isinstance(r, dict) and _number(r.get("latitude")) is not None and _number(r.get("longitude")) is not None]
        results = [r for r in results if _matches(r, attempt.get("qualifiers") or [])]
        if results:
            return _pick(results)
    raise WeatherFailure(f'Could not find "{spec["query"]}". Check the spelling, or add the country after a comma, e.g. "Paris, France".')


def _pick(results):
    best = max(results, key=_rank)
    place = {"name": best.get("name"), "latitude": best["latitude"], "longitude": best["longitude"], "timezone": best.get("timezone") or "auto",
             "country": best.get("country"), "countryCode": best.get("country_code"), "admin1": best.get("admin1"), "source": "geocoding"}
    others = [r for r in results if r is not best]
    if others:
        place["alternatives"] = [_describe(r) for r in sorted(others, key=_rank, reverse=True)[:3]]
    return place


def _daily(body, fields, label):
    if not isinstance(body, dict) or "daily" not in body:
        raise WeatherFailure(f"Open-Meteo {label} sent data in an unexpected shape (no daily section); try again later.")
    try:
        return daily_rows(body["daily"], fields)
    except ValueError as error:
        raise WeatherFailure(f"Open-Meteo {label} sent data in an unexpected shape ({error}); try again later.") from None


def fetch_forecast(client, place, plan):
    params = {"latitude": place["latitude"], "longitude": place["longitude"]}
    if plan.get("current"):
        params["current"] = CURRENT_VARIABLES
    # "auto" resolves the zone from the coordinates, so daily windows are local days either way.
    params.update({"daily": FORECAST_DAILY, "timezone": "auto"})
    window = plan["forecast"]
    if plan.get("forecastDays"):
        params["forecast_days"] = plan["forecastDays"]
    else:
        params.update({"start_date": window["start"], "end_date": window["end"]})
    body = client.get("forecast", params)
    days = _daily(body, FORECAST_FIELDS, "forecast")
    current = None
    if plan.get("current"):
        raw = body.get("current") if isinstance(body.get("current"), dict) else {}
        current = {"time": raw.get("time"), "temperatureC": _number(raw.get("temperature_2m")), "feelsLikeC": _number(raw.get("apparent_temperature")),
                   "humidity": _number(raw.get("relative_humidity_2m")), "windKmh": _number(raw.get("wind_speed_10m")),
                   "windDirection": _number(raw.get("wind_direction_10m")), "code": _code(raw.get("weather_code")),
                   "isDay": _number(raw.get("is_day")), "precipitationMm": _number(raw.get("precipitation")), "cloudCover": _number(raw.get("cloud_cover"))}
    return current, days


def fetch_past(client, place, window):
    params = {"latitude": place["latitude"], "longitude": place["longitude"], "start_date": window["start"], "end_date": window["end"],
              "daily": ARCHIVE_DAILY, "timezone": place["timezone"]}
    days = _daily(client.get("archive", params, cache=True), ARCHIVE_FIELDS, "archive")
    return {"start": window["start"], "end": window["end"], "days": days, "summary": summarize_days(days)}


def fetch_typical(client, place, window):
    years = window["years"]
    if not years:
        return {"start": window["start"], "end": window["end"], "yearsUsed": [], "yearsSkipped": [], "summary": None, "days": []}
    # One request with comma lists of ranges: same call weight as one per year, one round trip.
    params = {"latitude": place["latitude"], "longitude": place["longitude"],
              "start_date": ",".join(year["start"] for year in years), "end_date": ",".join(year["end"] for year in years),
              "daily": ARCHIVE_DAILY, "timezone": place["timezone"]}
    body = client.get("archive", params, cache=True)
    bodies = body if isinstance(body, list) else [body]
    if len(bodies) != len(years):
        raise WeatherFailure(f"Open-Meteo archive returned {len(bodies)} ranges for {len(years)} requested; try again later.")
    entries = [{"year": year["year"], "rows": _daily(item, ARCHIVE_FIELDS, "archive")} for year, item in zip(years, bodies)]
    target_dates = window["dates"]
    result = summarize_typical(entries, target_dates)
    result.update({"start": window["start"], "end": window["end"]})
    return result


def research_place(client, spec, plan):
    report = {"query": spec["query"]}
    try:
        place = locate(client, spec)
        report.update({"ok": True, "place": place})
        if plan.get("forecast"):
            current, report["forecast"] = fetch_forecast(client, place, plan)
            if current is not None:
                report["current"] = current
        if plan.get("past"):
            report["past"] = fetch_past(client, place, plan["past"])
        if plan.get("typical"):
            report["typical"] = fetch_typical(client, place, plan["typical"])
    except WeatherFailure as failure:
        report.update({"ok": False, "message": str(failure)})
    except Exception as error:  # noqa: BLE001 - the user gets a message, never a traceback
        report.update({"ok": False, "message": f"Weather research for {spec.get('query')!r} failed unexpectedly ({type(error).__name__}: {error})."})
    return report


def research(args):
    client = OpenMeteo(args["urls"], float(args.get("timeoutSeconds") or 10), float(args.get("retryDelaySeconds") or 1))
    places = [research_place(client, spec, args["plan"]) for spec in args["places"]]
    return {"places": places, "calls": client.calls}


def emit(result):
    try:
        text = json.dumps(result, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        text = json.dumps({"fatal": f"The weather program produced data it could not encode ({error})."})
    print(RESULT_MARKER + text, flush=True)


def tidepool_weather_main(args):
    try:
        result = research(args)
    except Exception as error:  # noqa: BLE001
        result = {"fatal": f"The weather program failed ({type(error).__name__}: {error})."}
    emit(result)
