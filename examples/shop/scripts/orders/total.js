// Totals an order: prices from scripts.catalog, stock from the native
// inventory plugin, tax from scripts.tax, all through Process().
import { Price } from '../catalog.js';

export function Total(order) {
  const lines = order.items.map((item) => {
    const stock = Process('inventory.stock.Check', item.sku, item.qty);
    if (!stock.enough) throw new Exception(`not enough ${item.sku}: ${stock.available} left`, 409);
    return { sku: item.sku, qty: item.qty, cents: Price(item.sku) * item.qty };
  });
  const net = lines.reduce((sum, line) => sum + line.cents, 0);
  const rate = Process('scripts.tax.Rate', order.country);
  console.info(`order for ${order.country}: ${lines.length} lines, net ${net}`);
  return { lines, net, tax: Math.round((net * rate) / 100), total: net + Math.round((net * rate) / 100) };
}
