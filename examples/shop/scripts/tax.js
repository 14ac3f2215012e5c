// A classic gou-style script: plain top-level functions.
const rates = { DE: 19, FR: 20, US: 0 };

function Rate(country) {
  return rates[country] ?? 10;
}
