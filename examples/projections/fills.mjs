// A custom projection for `evtrail replay --projection` (src/replay/README.md): per order, its
// symbol and time in force (from OrderPlaced), how many fills it had and the quantity filled.
// The demo's older OrderPlaced events (schema_version 1) carry no timeInForce:
// ./upcasters.mjs fills it in, so this module reads one shape.
export default {
  name: 'fills',
  initialState: () => ({ symbol: null, timeInForce: null, fills: 0, filledQty: 0, lastPrice: null }),
  keyOf: (event) => event.data.orderId,
  evolve: (state, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { ...state, symbol: event.data.symbol, timeInForce: event.data.timeInForce ?? null };
      case 'OrderPartiallyFilled':
      case 'OrderFilled':
        return { ...state, fills: state.fills + 1, filledQty: state.filledQty + event.data.fillQty, lastPrice: event.data.fillPrice };
      default:
        return state;
    }
  },
};
