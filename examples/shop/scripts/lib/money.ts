// A TypeScript module imported through the tsconfig alias @shop/money.
export enum Currency {
  EUR = 'EUR',
  USD = 'USD',
}

export interface Amount {
  cents: number;
  currency: Currency;
}

export function format(amount: Amount): string {
  const units = (amount.cents / 100).toFixed(2);
  return amount.currency === Currency.EUR ? `${units} €` : `$${units}`;
}
