// Bounds the attempts one process makes to one endpoint at once, so a slow endpoint holds at most
// that many of the delivery worker's slots and the other endpoints keep flowing. Per process:
// the bound across the deployment is this times the number of worker processes.
export interface EndpointGate {
  /**
   * Takes a slot of the endpoint, waiting up to `maxWaitMs` for one to free up; false when none
   * did (the caller steps aside). A fast endpoint frees slots within the wait, so a burst to it
   * keeps flowing instead of turning into delayed jobs; a slow one does not.
   */
  enter(endpointId: string, maxWaitMs: number): Promise<boolean>;
  leave(endpointId: string): void;
}

interface Slots {
  inFlight: number;
  waiting: Array<(entered: boolean) => void>;
}

export function createEndpointGate(perEndpoint: number): EndpointGate {
  const endpoints = new Map<string, Slots>();
  return {
    async enter(endpointId, maxWaitMs) {
      const slots = endpoints.get(endpointId) ?? { inFlight: 0, waiting: [] };
      endpoints.set(endpointId, slots);
      if (slots.inFlight < perEndpoint) {
        slots.inFlight++;
        return true;
      }
      if (maxWaitMs <= 0) return false;
      return new Promise<boolean>((resolve) => {
        const waiter = (entered: boolean) => {
          clearTimeout(timer);
          resolve(entered);
        };
        const timer = setTimeout(() => {
          const at = slots.waiting.indexOf(waiter);
          if (at >= 0) slots.waiting.splice(at, 1);
          resolve(false);
        }, maxWaitMs);
        slots.waiting.push(waiter);
      });
    },
    leave(endpointId) {
      const slots = endpoints.get(endpointId);
      if (!slots) return;
      // The slot passes straight to the first waiter.
      const next = slots.waiting.shift();
      if (next) return next(true);
      slots.inFlight--;
      if (slots.inFlight <= 0) endpoints.delete(endpointId);
    },
  };
}
