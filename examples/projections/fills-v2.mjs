// ./fills.mjs, version 2: the price is the fills' volume-weighted average instead of the last
// fill's; everything else is version 1's. `evtrail replay --projection ./fills-v2.mjs
// --compare ./fills.mjs` shows, order by order, where the two versions disagree
// (src/replay/README.md).
import fills from './fills.mjs';

export default {
  ...fills,
  evolve: (state, event) => {
    const next = fills.evolve(state, event);
    if (next.filledQty === state.filledQty) return next;
    const { lastPrice: _last, ...rest } = next;
    const avgPrice = ((state.avgPrice ?? 0) * state.filledQty + event.data.fillPrice * event.data.fillQty) / next.filledQty;
    return { ...rest, avgPrice: Math.round(avgPrice * 10000) / 10000 };
  },
};
