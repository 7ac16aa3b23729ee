// The final book of the L3 example (README, Ingest: "Worked examples"): one state per price
// level and side. Each event's data is the order [id, price, amount] (--map data=$[1]); the
// amount's sign is the side (> 0 bid, < 0 ask); an add puts it on the level, a fill or a
// cancel takes it off. `orders`: what is left of each order resting there.
export default {
  name: 'l3-book',
  initialState: () => ({ side: null, price: null, size: 0, orders: {} }),
  keyOf: (event) => `${event.data[2] > 0 ? 'bid' : 'ask'} ${event.data[1].toFixed(2)}`,
  evolve: (state, event) => {
    const [id, price, amount] = event.data;
    const qty = event.type === 'add' ? Math.abs(amount) : -Math.abs(amount);
    const orders = { ...state.orders, [id]: (state.orders[id] ?? 0) + qty };
    if (orders[id] === 0) delete orders[id];
    return { side: amount > 0 ? 'bid' : 'ask', price, size: state.size + qty, orders };
  },
};
