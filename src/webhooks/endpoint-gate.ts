// Bounds the attempts one process makes to one endpoint at once, so a slow endpoint holds at most
// that many of the delivery worker's slots and the other endpoints keep flowing. Per process:
// the bound across the deployment is this times the number of worker processes.
export interface EndpointGate {
  tryEnter(endpointId: string): boolean;
  leave(endpointId: string): void;
}

export function createEndpointGate(perEndpoint: number): EndpointGate {
  const inFlight = new Map<string, number>();
  return {
    tryEnter(endpointId) {
      const n = inFlight.get(endpointId) ?? 0;
      if (n >= perEndpoint) return false;
      inFlight.set(endpointId, n + 1);
      return true;
    },
    leave(endpointId) {
      const n = (inFlight.get(endpointId) ?? 1) - 1;
      if (n <= 0) inFlight.delete(endpointId);
      else inFlight.set(endpointId, n);
    },
  };
}
