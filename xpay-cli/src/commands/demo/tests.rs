//! The tour against an honest fake WeChat, and against one that misbehaves: each
//! disagreement fails the step it happens in.

use super::*;
use std::cell::RefCell;
use std::rc::Rc;
use xpay_mock::Fault;

/// Captures what the tour prints.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tour(tamper: fn(&MockServer)) -> (Result<(), Failure>, String) {
    let runtime = crate::commands::runtime().expect("runtime");
    let out = Captured::default();
    let mut tour = Tour::new(Box::new(out.clone()));
    let result = runtime
        .block_on(tour_all(&mut tour, tamper))
        .map_err(|f| tour.locate(f));
    let text = String::from_utf8(out.0.borrow().clone()).expect("utf-8");
    (result, text)
}

fn message(result: Result<(), Failure>) -> String {
    match result {
        Err(Failure::Message(m)) => m,
        other => panic!("expected a one-line failure, got {other:?}"),
    }
}

#[test]
fn the_tour_passes_against_an_honest_fake_wechat() {
    let (result, text) = tour(|_| {});
    assert!(result.is_ok(), "{result:?}\n{text}");
    for n in 1..=STEPS {
        assert_eq!(
            text.matches(&format!("\n[{n}/{STEPS}] ")).count(),
            1,
            "{text}"
        );
    }
    assert!(!text.contains("[9/8]"), "{text}");
}

#[test]
fn a_cancel_that_moves_nothing_fails_its_step() {
    // The fake answers success but gives nothing back: the balance check must catch it.
    let (result, text) = tour(|mock| {
        mock.fail_next("cancel_currency_pay", 1, Fault::errcode_with(0, "ok"))
            .expect("fault");
    });
    let m = message(result);
    assert!(
        m.starts_with(
            "demo step 6/8 (cancel the token payment) failed: balance: expected Some(100)"
        ),
        "{m}"
    );
    assert!(text.contains("[6/8]") && !text.contains("[7/8]"), "{text}");
}

#[test]
fn a_missing_push_fails_its_step() {
    let (result, _) = tour(|mock| mock.set_push_target(None));
    let m = message(result);
    assert!(m.starts_with("demo step 3/8 "), "{m}");
    assert!(m.contains("sent no push"), "{m}");
}

#[test]
fn a_wechat_error_fails_its_step_with_the_errcode() {
    let (result, _) = tour(|mock| {
        mock.fail_next("query_user_balance", 1, Fault::errcode(268_490_003))
            .expect("fault");
    });
    let m = message(result);
    assert!(
        m.starts_with(
            "demo step 4/8 (query the balance) failed: query_user_balance: WeChat errcode 268490003"
        ),
        "{m}"
    );
    assert!(!m.contains('\n'));
}

#[test]
fn the_demo_credentials_are_usable() {
    assert!(demo_credentials().validate().is_ok());
}

#[test]
fn helpers() {
    assert_eq!(or_none(Some(5)), "5");
    assert_eq!(or_none(None::<i64>), "(none)");
    assert!(expect_eq("x", 1, 1).is_ok());
    assert!(expect_eq("x", 1, 2).is_err());
}

#[test]
fn failures_name_their_step() {
    let mut tour = Tour::new(Box::new(io::sink()));
    tour.at = (5, "pay with tokens");
    assert_eq!(
        message(Err(tour.locate(Failure::msg("boom")))),
        "demo step 5/8 (pay with tokens) failed: boom"
    );
    tour.at = (0, "");
    assert_eq!(
        message(Err(tour.locate(Failure::msg("x")))),
        "demo setup failed: x"
    );
}
