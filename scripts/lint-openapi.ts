// Placeholder until the OpenAPI lint step lands.
console.log("openapi lint: not yet implemented");
