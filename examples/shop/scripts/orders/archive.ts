// Archives an order as yao apps do it, with gou's script library: the total
// from another script, the exchange rate over HTTP (http.Get), the receipt as a
// file (FS) and the last receipt per country in a store (Store), and a log line
// (log). Each of these is a process the application can see, replace or deny.
import { log, FS, Store, http, Exception } from '@yao/runtime';

interface Order {
  id: string;
  country: string;
  items: { sku: string; qty: number }[];
}

interface Receipt {
  id: string;
  total: number;
  currency: string;
  usd: number | null;
}

// USD per EUR from the rates service, or null when none is configured or it fails.
function usdRate(ratesUrl?: string): number | null {
  if (!ratesUrl) return null;
  const response = http.Get(ratesUrl, { base: 'EUR' });
  if (response.status !== 200) {
    log.Warn('rates service answered %d: %v', response.status, response.data);
    return null;
  }
  return response.data.rates.USD as number;
}

function Archive(order: Order, ratesUrl?: string): Receipt {
  if (!order?.id || !/^[A-Za-z0-9-]+$/.test(order.id)) throw new Exception('an order needs an id (letters, digits, -)', 400);
  const { total } = Process('scripts.orders.total.Total', order) as { total: number };
  const rate = usdRate(ratesUrl);
  const receipt: Receipt = { id: order.id, total, currency: 'EUR', usd: rate === null ? null : Math.round(total * rate) };

  const files = new FS('data');
  files.MkdirAll('/receipts');
  files.WriteFile(`/receipts/${order.id}.json`, JSON.stringify(receipt));
  new Store('receipts').Set(`last:${order.country}`, receipt, 3600);

  log.Info('archived order %s: %d cents (%s), %d receipts on file', order.id, total, receipt.usd === null ? 'no USD rate' : `${receipt.usd} USD cents`,
           files.ReadDir('/receipts').length);
  return receipt;
}

// The last receipt archived for a country, from the store.
function Last(country: string): Receipt | null {
  return new Store('receipts').Get(`last:${country}`);
}
