export {
  Outbound,
  defaultOutboundSettings,
  type DestinationGuard,
  type OutboundLog,
  type OutboundRequest,
  type OutboundResponse,
  type OutboundSettings,
  type OutboundStream,
} from './outbound.js';
export { OutboundError, classifyOutboundError, type OutboundFailure } from './outbound-error.js';
export {
  DestinationPolicy,
  defaultDeniedDestinations,
  destinationRangeProblem,
  type DestinationRules,
} from './policy.js';
export { registryBase, sameOrigin, mayPresent } from './registry-origin.js';
export { parseChallenge, type Challenge } from './challenge.js';
