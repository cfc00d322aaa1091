const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/**
 * Digits as callers say them: 0–99 as a number ("24" → "twenty four"), anything longer digit by
 * digit ("4567" → "four five six seven"), which is how order numbers and phone numbers are read
 * out. Years and prices read differently; write those out in the phrase itself.
 */
export function spellNumber(digits: string): string {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError(`not a digit string: ${digits}`);
  if (digits.length <= 2) {
    const n = Number(digits);
    if (n < 20) return ONES[n] as string;
    const unit = n % 10;
    return unit === 0 ? (TENS[Math.floor(n / 10)] as string) : `${TENS[Math.floor(n / 10)]} ${ONES[unit]}`;
  }
  return [...digits].map((d) => ONES[Number(d)]).join(' ');
}
