// An ES module: prices in cents.
const prices = { apple: 120, pear: 95, fig: 310 };

export function Price(sku) {
  if (!(sku in prices)) throw new Exception(`no price for '${sku}'`, 404);
  return prices[sku];
}
