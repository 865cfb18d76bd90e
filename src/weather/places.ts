/**
 * One destination string → the places it names, each with the qualifiers that narrow geocoding.
 *
 * The split rule: ` and `, `&`, `;`, `|` and ` vs ` always separate places. A comma separates
 * places only when the text after it is NOT a known country or region (`Paris, France` and
 * `Portland, OR` are one place each; `Miami, Tokyo` is two). Several qualifiers may follow one
 * name (`Paris, Texas, USA`).
 */
import { countryCode, isKnownQualifier, regionName } from './regions.js';

export const MAX_PLACES = 4;

export interface Qualifier {
  text: string;
  /** Set when the qualifier names a country (`France`, `FR`, `UK`). */
  countryCode?: string;
  /** Set when it names a US state / Canadian province / Australian state (`CA`, `Ontario`). */
  region?: string;
}

export interface PlaceQuery {
  /** What the user wrote for this place, e.g. `Paris, France`. */
  query: string;
  name: string;
  qualifiers: Qualifier[];
  /** Geocoding filter, sent only when a qualifier is unambiguously a country. */
  countryCode?: string;
  /** Tried when `name` finds nothing: `Limerick Ireland` → `Limerick` qualified by `Ireland`. */
  fallback?: { name: string; qualifiers: Qualifier[]; countryCode?: string };
}

export type PlaceParseResult = { ok: true; places: PlaceQuery[] } | { ok: false; message: string };

const PLACE_SEPARATORS = /\s+and\s+|\s*&\s*|\s*;\s*|\s*\|\s*|\s+vs\.?\s+|\s+versus\s+/i;

export function parsePlaces(destination: string, maxPlaces = MAX_PLACES): PlaceParseResult {
  const groups: { chunk: number; parts: string[] }[] = [];
  destination.split(PLACE_SEPARATORS).forEach((chunk, chunkIndex) => {
    const pieces = chunk.split(',').map((piece) => piece.trim()).filter(Boolean);
    pieces.forEach((piece, index) => {
      const current = groups.at(-1);
      // A qualifier belongs to the place just before it in the same chunk.
      if (current && current.chunk === chunkIndex && index > 0 && isKnownQualifier(piece)) current.parts.push(piece);
      else groups.push({ chunk: chunkIndex, parts: [piece] });
    });
  });
  if (groups.length === 0) {
    return { ok: false, message: 'No destination given. Name a city, e.g. "Paris, France", or several: "Miami and Tokyo".' };
  }
  if (groups.length > maxPlaces) {
    return { ok: false, message: `${groups.length} places given; compare at most ${maxPlaces} at a time.` };
  }
  return { ok: true, places: groups.map(({ parts: [name, ...qualifiers] }) => toQuery(name!, qualifiers)) };
}

function toQuery(name: string, qualifierTexts: string[]): PlaceQuery {
  const qualifiers = qualifierTexts.map(describeQualifier);
  const query: PlaceQuery = { query: [name, ...qualifierTexts].join(', '), name, qualifiers };
  const code = geocodingCountry(qualifiers);
  if (code) query.countryCode = code;
  if (qualifiers.length === 0) {
    const fallback = trailingQualifier(name);
    if (fallback) query.fallback = fallback;
  }
  return query;
}

export function describeQualifier(text: string): Qualifier {
  const qualifier: Qualifier = { text };
  // Two capital letters after a city are a US state far more often than a country (`Portland, OR`).
  const region = regionName(text);
  const code = /^[A-Za-z]{2}$/.test(text) && region ? undefined : countryCode(text);
  if (code) qualifier.countryCode = code;
  if (region) qualifier.region = region;
  return qualifier;
}

/** A country that is not also a region name (Georgia) can filter server-side. */
function geocodingCountry(qualifiers: Qualifier[]): string | undefined {
  return qualifiers.find((qualifier) => qualifier.countryCode && !qualifier.region)?.countryCode;
}

/** `Las Vegas NV` → `Las Vegas` + `NV`; only used when the whole text finds nothing. */
function trailingQualifier(name: string): PlaceQuery['fallback'] {
  const words = name.split(/\s+/);
  for (let take = Math.min(3, words.length - 1); take >= 1; take--) {
    const tail = words.slice(-take).join(' ');
    if (!isKnownQualifier(tail)) continue;
    const qualifiers = [describeQualifier(tail)];
    const fallback: NonNullable<PlaceQuery['fallback']> = { name: words.slice(0, -take).join(' '), qualifiers };
    const code = geocodingCountry(qualifiers);
    if (code) fallback.countryCode = code;
    return fallback;
  }
  return undefined;
}
