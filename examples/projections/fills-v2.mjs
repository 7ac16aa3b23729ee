// ./fills.mjs, version 2: the price is the fills' volume-weighted average instead of the last
// fill's. `evtrail replay --projection ./fills-v2.mjs --compare ./fills.mjs` shows, order by
// order, where the two versions disagree (src/replay/README.md).
export default {
  name: 'fills',
  initialState: () => ({ symbol: null, timeInForce: null, fills: 0, filledQty: 0, avgPrice: null }),
  keyOf: (event) => event.data.orderId,
  evolve: (state, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { ...state, symbol: event.data.symbol, timeInForce: event.data.timeInForce ?? null };
      case 'OrderPartiallyFilled':
      case 'OrderFilled': {
        const qty = state.filledQty + event.data.fillQty;
        const avgPrice = ((state.avgPrice ?? 0) * state.filledQty + event.data.fillPrice * event.data.fillQty) / qty;
        return { ...state, fills: state.fills + 1, filledQty: qty, avgPrice: Math.round(avgPrice * 10000) / 10000 };
      }
      default:
        return state;
    }
  },
};
