// Upcasters for `evtrail replay --upcasters` and `evtrail schema upcast --upcasters`
// (src/replay/upcasters.ts): OrderPlaced v1 → v2. Version 1 had no time in force; an order
// without one was a day order.
export default {
  OrderPlaced: {
    1: (data) => ({ timeInForce: 'DAY', ...data }),
  },
};
