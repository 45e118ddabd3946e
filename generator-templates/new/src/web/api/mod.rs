//! Controllers of the JSON API, served under `/api`: `axgen gen json` adds one
//! module per resource here, and its routes to the `/api` router in [`super::router`].
// axgen:api-controllers
