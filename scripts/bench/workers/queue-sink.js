// The consumer of the runs queue while `npm run bench` measures HTTP endpoints: it acknowledges every message
// without running it, so dispatch pays for a real queue send and no run execution lands in a measurement.
export default {
  async queue(batch) {
    batch.ackAll();
  },
};
