// Time in a chosen IANA zone: parsing the API's timestamps, wall-clock arithmetic, and the time
// axis's ticks and labels. Pure (Intl only), so node --test checks it.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// The API writes YYYY-MM-DDTHH:MM:SS.mmm then Z, ±HH:MM, or ±HH:MM:SS (local mean time before
// ~1900), which Date.parse does not read (docs/protocol.md §3.3).
const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)?(Z|([+-])(\d{2}):?(\d{2})(?::?(\d{2}))?)$/;

/** Milliseconds since the epoch of an API timestamp; throws on anything else. */
export function parseTimestamp(text) {
  const m = STAMP.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const ms = Number((m[7] ?? "0").padEnd(3, "0"));
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms);
  if (m[8] === "Z") return wall;
  const offset = (+m[10] * 3600 + +m[11] * 60 + +(m[12] ?? 0)) * SECOND;
  return m[9] === "+" ? wall - offset : wall + offset;
}

const partsFormats = new Map();

function partsFormat(zone) {
  let format = partsFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    partsFormats.set(zone, format);
  }
  return format;
}

/** Whether `zone` is an IANA zone this browser knows. */
export function isZone(zone) {
  try {
    partsFormat(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's wall clock at instant `t`, as ms of a UTC clock showing the same digits. */
export function wallClock(t, zone) {
  const p = {};
  for (const { type, value } of partsFormat(zone).formatToParts(new Date(t))) p[type] = value;
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return wall + (((t % SECOND) + SECOND) % SECOND);
}

/** The instant at which the zone's wall clock shows `wall`; in a DST gap, the one after it, and
 *  where the clock falls back, the earlier of the two. */
export function instantOf(wall, zone) {
  // Try the offsets in force around that time: the first whose result reads back as `wall` wins.
  const before = wallClock(wall - DAY, zone) - (wall - DAY);
  const after = wallClock(wall + DAY, zone) - (wall + DAY);
  const candidates = [...new Set([before, after])].map((offset) => wall - offset).sort((a, b) => a - b);
  for (const t of candidates) if (wallClock(t, zone) === wall) return t;
  return wall - Math.max(before, after) + Math.abs(after - before); // in a gap: the wall time after it
}

// Tick steps: [unit, count, nominal ms]. Calendar units (day and up) step the wall-clock date.
const STEPS = [
  ["second", 1, SECOND], ["second", 5, 5 * SECOND], ["second", 15, 15 * SECOND], ["second", 30, 30 * SECOND],
  ["minute", 1, MINUTE], ["minute", 5, 5 * MINUTE], ["minute", 15, 15 * MINUTE], ["minute", 30, 30 * MINUTE],
  ["hour", 1, HOUR], ["hour", 3, 3 * HOUR], ["hour", 6, 6 * HOUR], ["hour", 12, 12 * HOUR],
  ["day", 1, DAY], ["day", 2, 2 * DAY], ["day", 7, 7 * DAY],
  ["month", 1, 30 * DAY], ["month", 3, 91 * DAY], ["month", 6, 182 * DAY],
  ["year", 1, 365 * DAY], ["year", 5, 5 * 365 * DAY], ["year", 10, 3650 * DAY], ["year", 50, 50 * 365 * DAY],
  ["year", 100, 100 * 365 * DAY],
];

/** The finest tick step giving about `maxTicks` ticks (at most half a tick more) over [start, end]. */
export function tickStep(start, end, maxTicks) {
  const span = Math.max(end - start, 1);
  // The half tick of slack keeps a week on a narrow chart at 2-day ticks rather than one weekly tick.
  return STEPS.find(([, , ms]) => span / ms <= maxTicks + 0.5) ?? STEPS[STEPS.length - 1];
}

function floorWall(wall, unit, count) {
  const d = new Date(wall);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  switch (unit) {
    case "year": return Date.UTC(Math.floor(y / count) * count, 0, 1);
    case "month": return Date.UTC(y, Math.floor(mo / count) * count, 1);
    case "day": {
      const midnight = Date.UTC(y, mo, d.getUTCDate());
      // Weekly ticks fall on Mondays; other day steps count from the month's first.
      if (count === 7) return midnight - (((d.getUTCDay() + 6) % 7) * DAY);
      return midnight - (((d.getUTCDate() - 1) % count) * DAY);
    }
    default: {
      const ms = { second: SECOND, minute: MINUTE, hour: HOUR }[unit] * count;
      return Math.floor(wall / ms) * ms;
    }
  }
}

function nextWall(wall, unit, count) {
  const d = new Date(wall);
  switch (unit) {
    case "year": return Date.UTC(d.getUTCFullYear() + count, 0, 1);
    case "month": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + count, 1);
    case "day": {
      const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + count);
      // A 2-day step restarts on each month's first, so ticks stay on the same days every month.
      if (count === 2 && new Date(next).getUTCMonth() !== d.getUTCMonth()) {
        return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      }
      return next;
    }
    default: return wall + { second: SECOND, minute: MINUTE, hour: HOUR }[unit] * count;
  }
}

/**
 * Ticks for an axis over the instants [start, end] in `zone`: [{t, label}], at most about
 * `maxTicks`, placed on round wall-clock times of that zone (midnights, whole hours, month starts).
 */
export function timeTicks(start, end, zone, maxTicks = 8) {
  const [unit, count] = tickStep(start, end, maxTicks);
  const label = tickLabeller(unit, zone);
  const ticks = [];
  let wall = floorWall(wallClock(start, zone), unit, count);
  let previous = null;
  const calendar = unit === "day" || unit === "month" || unit === "year";
  for (let guard = 0; guard < 1000; guard++) {
    const t = instantOf(wall, zone);
    if (t > end) break;
    // A clock time the zone skips (a DST gap) gets no tick; a day whose midnight is skipped still
    // gets one, where that day starts.
    const exists = calendar || wallClock(t, zone) === wall;
    if (t >= start && exists && (previous === null || t > previous)) {
      ticks.push({ t, label: label(t, previous) });
      previous = t;
    }
    wall = nextWall(wall, unit, count);
  }
  return ticks;
}

const labelFormats = new Map();

function format(zone, options) {
  const id = zone + JSON.stringify(options);
  let f = labelFormats.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", ...options });
    labelFormats.set(id, f);
  }
  return f;
}

function sameDay(a, b, zone) {
  const day = format(zone, { year: "numeric", month: "2-digit", day: "2-digit" });
  return day.format(a) === day.format(b);
}

function tickLabeller(unit, zone) {
  const time = format(zone, unit === "second" ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
  const day = format(zone, { day: "numeric", month: "short" });
  const month = format(zone, { month: "short", year: "numeric" });
  const year = format(zone, { year: "numeric" });
  return (t, previous) => {
    if (unit === "year") return year.format(t);
    if (unit === "month") return month.format(t);
    if (unit === "day") return day.format(t);
    // Clock ticks name the day too on the first tick and wherever a new day starts.
    if (previous === null || !sameDay(t, previous, zone)) return `${day.format(t)} ${time.format(t)}`;
    return time.format(t);
  };
}

/** A full date and time in `zone`, with the zone's short name: for hover values and the summary. */
export function formatInstant(t, zone) {
  return format(zone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    timeZoneName: "short",
  }).format(t);
}

/** `wall` (ms of a UTC clock) as the naive `YYYY-MM-DDTHH:MM:SS` text the API reads in `tz`. */
export function wallText(wall) {
  return new Date(wall).toISOString().slice(0, 19);
}

/** Naive `YYYY-MM-DDTHH:MM[:SS]` text (as a datetime-local input gives) as wall ms, or null. */
export function parseWall(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text ?? "");
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0)) : null;
}
