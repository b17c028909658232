// The real spec's tables and events for the runtime's own callback unit tests
// (`src/callback/tests`), generated as the `xpay` crate generates them so that those tests
// notice every change of `spec/xpay.yaml`. Included by the tests only: the runtime's sources
// name no spec.
xpay_macros::generate!(spec = "../spec/xpay.yaml", runtime = crate);
