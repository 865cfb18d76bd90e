/**
 * What is known of a response `sendJson` built, kept beside it: the request log counts its bytes
 * and an in-process caller reads its body without reading the response back.
 */

export interface ResponseFacts {
  bytesOut: number;
  /** The JSON body as sent. */
  text: string;
}

const responseFacts = new WeakMap<Response, ResponseFacts>();

export function recordFacts(response: Response, facts: ResponseFacts): void {
  responseFacts.set(response, facts);
}

/**
 * The facts of a response sendJson built (its x-ms-request-id is already set), or undefined for any
 * other response. Reading a response's headers turns the plain header object the HTTP adapter
 * writes directly into a Headers instance it has to convert back, and reading its body goes
 * through a stream: per request, either costs more than the route's own work.
 */
export function factsOf(response: Response): ResponseFacts | undefined {
  return responseFacts.get(response);
}
