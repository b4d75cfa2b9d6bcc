/**
 * Money in minor units is stored as bigint; node-postgres returns bigint as a string
 * (it may exceed 2^53), but amounts here stay far below Number.MAX_SAFE_INTEGER.
 */
export const bigintAsNumber = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
