/**
 * Names a destination may carry after a comma (`Paris, France`, `Portland, OR`): countries with
 * their ISO-3166 alpha-2 codes, plus first-level regions geocoding understands as qualifiers.
 * Used to tell `Paris, France` (one place) from `Miami, Tokyo` (two places).
 */

/** `code:Name/Alias` entries; names as GeoNames spells them in English, plus common aliases. */
const COUNTRY_TABLE = `AF:Afghanistan|AL:Albania|DZ:Algeria|AD:Andorra|AO:Angola|AG:Antigua and Barbuda|AR:Argentina|AM:Armenia|AU:Australia|AT:Austria|AZ:Azerbaijan|BS:Bahamas|BH:Bahrain|BD:Bangladesh|BB:Barbados|BY:Belarus|BE:Belgium|BZ:Belize|BJ:Benin|BT:Bhutan|BO:Bolivia|BA:Bosnia and Herzegovina|BW:Botswana|BR:Brazil|BN:Brunei|BG:Bulgaria|BF:Burkina Faso|BI:Burundi|KH:Cambodia|CM:Cameroon|CA:Canada|CV:Cabo Verde/Cape Verde|CF:Central African Republic|TD:Chad|CL:Chile|CN:China|CO:Colombia|KM:Comoros|CG:Republic of the Congo|CD:DR Congo/Democratic Republic of the Congo|CR:Costa Rica|CI:Ivory Coast/Côte d'Ivoire|HR:Croatia|CU:Cuba|CY:Cyprus|CZ:Czechia/Czech Republic|DK:Denmark|DJ:Djibouti|DM:Dominica|DO:Dominican Republic|EC:Ecuador|EG:Egypt|SV:El Salvador|GQ:Equatorial Guinea|ER:Eritrea|EE:Estonia|SZ:Eswatini/Swaziland|ET:Ethiopia|FJ:Fiji|FI:Finland|FR:France|GA:Gabon|GM:Gambia|GE:Georgia|DE:Germany|GH:Ghana|GR:Greece|GD:Grenada|GT:Guatemala|GN:Guinea|GW:Guinea-Bissau|GY:Guyana|HT:Haiti|HN:Honduras|HK:Hong Kong|HU:Hungary|IS:Iceland|IN:India|ID:Indonesia|IR:Iran|IQ:Iraq|IE:Ireland|IL:Israel|IT:Italy|JM:Jamaica|JP:Japan|JO:Jordan|KZ:Kazakhstan|KE:Kenya|KI:Kiribati|KP:North Korea|KR:South Korea/Korea|XK:Kosovo|KW:Kuwait|KG:Kyrgyzstan|LA:Laos|LV:Latvia|LB:Lebanon|LS:Lesotho|LR:Liberia|LY:Libya|LI:Liechtenstein|LT:Lithuania|LU:Luxembourg|MO:Macao/Macau|MG:Madagascar|MW:Malawi|MY:Malaysia|MV:Maldives|ML:Mali|MT:Malta|MH:Marshall Islands|MR:Mauritania|MU:Mauritius|MX:Mexico|FM:Micronesia|MD:Moldova|MC:Monaco|MN:Mongolia|ME:Montenegro|MA:Morocco|MZ:Mozambique|MM:Myanmar/Burma|NA:Namibia|NR:Nauru|NP:Nepal|NL:Netherlands/The Netherlands/Holland|NZ:New Zealand|NI:Nicaragua|NE:Niger|NG:Nigeria|MK:North Macedonia|NO:Norway|OM:Oman|PK:Pakistan|PW:Palau|PS:Palestine|PA:Panama|PG:Papua New Guinea|PY:Paraguay|PE:Peru|PH:Philippines|PL:Poland|PT:Portugal|PR:Puerto Rico|QA:Qatar|RO:Romania|RU:Russia|RW:Rwanda|KN:Saint Kitts and Nevis|LC:Saint Lucia|VC:Saint Vincent and the Grenadines|WS:Samoa|SM:San Marino|ST:Sao Tome and Principe|SA:Saudi Arabia|SN:Senegal|RS:Serbia|SC:Seychelles|SL:Sierra Leone|SG:Singapore|SK:Slovakia|SI:Slovenia|SB:Solomon Islands|SO:Somalia|ZA:South Africa|SS:South Sudan|ES:Spain|LK:Sri Lanka|SD:Sudan|SR:Suriname|SE:Sweden|CH:Switzerland|SY:Syria|TW:Taiwan|TJ:Tajikistan|TZ:Tanzania|TH:Thailand|TL:Timor-Leste/East Timor|TG:Togo|TO:Tonga|TT:Trinidad and Tobago|TN:Tunisia|TR:Turkey/Türkiye|TM:Turkmenistan|TV:Tuvalu|UG:Uganda|UA:Ukraine|AE:United Arab Emirates/UAE|GB:United Kingdom/UK/Great Britain/England/Scotland/Wales/Northern Ireland|US:United States/USA/United States of America/America|UY:Uruguay|UZ:Uzbekistan|VU:Vanuatu|VA:Vatican City/Vatican|VE:Venezuela|VN:Vietnam/Viet Nam|YE:Yemen|ZM:Zambia|ZW:Zimbabwe`;

/** US states (with postal codes), Canadian provinces and Australian states: admin1 qualifiers. */
const REGION_TABLE = `AL:Alabama|AK:Alaska|AZ:Arizona|AR:Arkansas|CA:California|CO:Colorado|CT:Connecticut|DE:Delaware|DC:District of Columbia|FL:Florida|GA:Georgia|HI:Hawaii|ID:Idaho|IL:Illinois|IN:Indiana|IA:Iowa|KS:Kansas|KY:Kentucky|LA:Louisiana|ME:Maine|MD:Maryland|MA:Massachusetts|MI:Michigan|MN:Minnesota|MS:Mississippi|MO:Missouri|MT:Montana|NE:Nebraska|NV:Nevada|NH:New Hampshire|NJ:New Jersey|NM:New Mexico|NY:New York|NC:North Carolina|ND:North Dakota|OH:Ohio|OK:Oklahoma|OR:Oregon|PA:Pennsylvania|RI:Rhode Island|SC:South Carolina|SD:South Dakota|TN:Tennessee|TX:Texas|UT:Utah|VT:Vermont|VA:Virginia|WA:Washington|WV:West Virginia|WI:Wisconsin|WY:Wyoming|AB:Alberta|BC:British Columbia|MB:Manitoba|NB:New Brunswick|NL:Newfoundland and Labrador|NS:Nova Scotia|ON:Ontario|PE:Prince Edward Island|QC:Quebec|SK:Saskatchewan|NSW:New South Wales|QLD:Queensland|VIC:Victoria|TAS:Tasmania|WA:Western Australia|SA:South Australia|NT:Northern Territory|ACT:Australian Capital Territory`;

function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

const COUNTRY_CODES = new Map<string, string>();
const COUNTRY_NAMES = new Map<string, string>();
for (const entry of COUNTRY_TABLE.split('|')) {
  const [code, names] = entry.split(':') as [string, string];
  const list = names.split('/');
  COUNTRY_NAMES.set(code, list[0]!);
  for (const name of list) COUNTRY_CODES.set(fold(name), code);
}

const REGIONS = new Map<string, string>();
for (const entry of REGION_TABLE.split('|')) {
  const [code, name] = entry.split(':') as [string, string];
  REGIONS.set(fold(name), name);
  if (!REGIONS.has(fold(code))) REGIONS.set(fold(code), name);
}

/** ISO2 code for a country name, alias or code (`France`, `uk`, `FR`); undefined otherwise. */
export function countryCode(text: string): string | undefined {
  const folded = fold(text);
  if (/^[a-z]{2}$/.test(folded) && COUNTRY_NAMES.has(folded.toUpperCase())) return folded.toUpperCase();
  return COUNTRY_CODES.get(folded);
}

/** Full region name for an admin1 name or abbreviation (`CA` → `California`, `ontario` → `Ontario`). */
export function regionName(text: string): string | undefined {
  return REGIONS.get(fold(text));
}

export function isKnownQualifier(text: string): boolean {
  return countryCode(text) !== undefined || regionName(text) !== undefined;
}
