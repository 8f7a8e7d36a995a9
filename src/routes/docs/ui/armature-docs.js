// The API reference page's start-up script: runs Swagger UI (swagger-ui-bundle.js, which the page runs just
// before this file) on the live OpenAPI document. A static asset next to the bundle (see
// scripts/lib/docs-assets.ts), because the page's Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root) return;
  var url = root.getAttribute("data-openapi-url");
  if (typeof window.SwaggerUIBundle !== "function" || !url) {
    root.textContent = "The API reference could not start. The OpenAPI document is at " + (url || "/api/armature/v1/openapi") + ".";
    return;
  }
  window.SwaggerUIBundle({
    domNode: root,
    // The live document of this host; its servers[0] is this origin, so "Try it out" calls the same origin.
    url: url,
    // Never take a document URL or other configuration from the page's query string.
    queryConfigEnabled: false,
    // No badge from the public validator service: nothing is loaded from another origin.
    validatorUrl: null,
    // The key stays in memory only: not kept in the browser's storage, gone on reload.
    persistAuthorization: false,
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    filter: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    showCommonExtensions: false,
    // The API authenticates with the Authorization header only: send no cookies.
    requestInterceptor: function (request) {
      request.credentials = "omit";
      return request;
    },
  });
})();
