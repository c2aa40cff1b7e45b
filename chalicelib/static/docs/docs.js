// Starts Swagger UI on the API's own document. A file, not an inline script, so the page's
// Content-Security-Policy can refuse inline scripts. The document's URL is resolved against
// this page's, so under a stage prefix (/api/docs) it is /api/openapi.json; the document's
// server is "." and Swagger UI resolves it against that URL, so "Try it out" keeps the prefix.
"use strict";

window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null, // its default sends the document to a third-party validator
  displayOperationId: false,
  defaultModelsExpandDepth: 0,
});
