/**
 * What the dashboard's bundle gets for `node:crypto` (scripts/build-ui.mjs aliases it here). The
 * client's face also offers `verifyWebhook`, which receivers run in Node; a page never calls it,
 * and a browser has no `node:crypto` to load, so these only say so if something ever does.
 */
const unavailable = (): never => {
  throw new Error("node:crypto is not available in the browser (verifyWebhook is for servers)");
};

export const createHmac = unavailable;
export const timingSafeEqual = unavailable;
