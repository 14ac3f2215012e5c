// A TypeScript script as yao apps write them: types, an enum, gou's
// type-shim import (the runtime's globals), a tsconfig path alias, and a
// top-level helper that is callable too although nothing exports it.
import { Exception, Process } from '@yao/runtime';
import { Currency, format, type Amount } from '@shop/money';

interface Order {
  country: string;
  items: { sku: string; qty: number }[];
}

class Quote {
  constructor(private readonly order: Order) {}

  amount(): Amount {
    const total = Process('scripts.orders.total.Total', this.order) as { total: number };
    return { cents: total.total, currency: this.order.country === 'US' ? Currency.USD : Currency.EUR };
  }
}

function Describe(order: Order): string {
  if (!order?.items?.length) throw new Exception('an order needs items', 400);
  return `${order.items.length} lines, ${format(new Quote(order).amount())}`;
}
