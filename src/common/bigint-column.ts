/**
 * Money in minor units is stored as bigint; node-postgres returns bigint as a string.
 * Amounts are numbers in the code, so only what a number holds exactly may pass, in
 * either direction: a rounded amount is a wrong amount, and it must fail loudly here
 * rather than be stored, compared or sent (the edges refuse such input with 400/422).
 */
export const bigintAsNumber = {
  to: (value: number | null | undefined) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`${value} is not an exact amount in minor units (a safe integer)`);
    }
    return value;
  },
  from: (value: string | null) => {
    if (value === null) return null;
    const amount = Number(value);
    if (!Number.isSafeInteger(amount)) throw new RangeError(`stored amount ${value} does not fit a safe integer`);
    return amount;
  },
};
