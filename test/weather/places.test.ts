import { describe, expect, test } from 'vitest';
import { parsePlaces } from '../../src/weather/places.js';

function names(destination: string): string[] {
  const result = parsePlaces(destination);
  if (!result.ok) throw new Error(result.message);
  return result.places.map((place) => place.query);
}

describe('parsePlaces: one place or several', () => {
  test('a comma followed by a country or region qualifies the place', () => {
    expect(names('Paris, France')).toEqual(['Paris, France']);
    expect(names('Portland, OR')).toEqual(['Portland, OR']);
    expect(names('Paris, Texas, USA')).toEqual(['Paris, Texas, USA']);
    expect(names('Toronto, Ontario')).toEqual(['Toronto, Ontario']);
  });

  test('a comma followed by another city separates places', () => {
    expect(names('Miami, Tokyo')).toEqual(['Miami', 'Tokyo']);
    expect(names('Paris, France, Tokyo')).toEqual(['Paris, France', 'Tokyo']);
  });

  test('and, &, ;, | and vs always separate', () => {
    expect(names('Miami and Tokyo')).toEqual(['Miami', 'Tokyo']);
    expect(names('Paris, France & Rome, Italy')).toEqual(['Paris, France', 'Rome, Italy']);
    expect(names('Lima; Quito | Bogota')).toEqual(['Lima', 'Quito', 'Bogota']);
    expect(names('London vs Berlin')).toEqual(['London', 'Berlin']);
  });

  test('qualifiers resolve to a country code or a region', () => {
    const result = parsePlaces('Paris, France');
    expect(result.ok && result.places[0]).toMatchObject({ name: 'Paris', countryCode: 'FR', qualifiers: [{ text: 'France', countryCode: 'FR' }] });
    const texas = parsePlaces('Paris, TX');
    expect(texas.ok && texas.places[0]).toMatchObject({ name: 'Paris', qualifiers: [{ text: 'TX', region: 'Texas' }] });
    expect(texas.ok && texas.places[0]!.countryCode).toBeUndefined();
    // Georgia is a country and a US state: filtered on the host side, not sent as countryCode.
    const georgia = parsePlaces('Atlanta, Georgia');
    expect(georgia.ok && georgia.places[0]!.countryCode).toBeUndefined();
  });

  test('a trailing qualifier without a comma becomes the fallback query', () => {
    const result = parsePlaces('Limerick Ireland');
    expect(result.ok && result.places[0]).toMatchObject({ name: 'Limerick Ireland', fallback: { name: 'Limerick', countryCode: 'IE' } });
    const vegas = parsePlaces('Las Vegas NV');
    expect(vegas.ok && vegas.places[0]!.fallback).toMatchObject({ name: 'Las Vegas', qualifiers: [{ region: 'Nevada' }] });
    const plain = parsePlaces('New York');
    expect(plain.ok && plain.places[0]!.fallback).toBeUndefined();
  });

  test('empty or too many places are refused with a message', () => {
    expect(parsePlaces(' , ').ok).toBe(false);
    const many = parsePlaces('A and B and C and D and E');
    expect(!many.ok && many.message).toContain('at most 4');
  });
});
