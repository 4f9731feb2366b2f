// Starts Swagger UI on the admin API's OpenAPI document. A file, not an inline script: the
// console's CSP is script-src 'self'. The document's URL comes from the page (data-openapi).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: true,
    defaultModelsExpandDepth: 0,
  });
});
