//! insmod: the load pipeline, parameters, rollback and bad input.

use crate::util::*;
use modhost::ErrorKind;

#[test]
fn insmod_runs_init_with_default_parameters_and_rmmod_unmaps() {
    let kernel = boot();
    let name = kernel.insmod(plugin("testmod"), "").unwrap();
    assert_eq!(name, "testmod");
    assert_dmesg_contains(&kernel, "testmod: init as testmod: b=1 s=-2 us=3 i=-4 ui=5 l=-6 ul=7 hex=0xff name=anon flag=false noflag=false ints=[1, 2] words=[]");
    let lsmod = kernel.lsmod();
    assert_eq!(lsmod.len(), 1);
    assert_eq!(lsmod[0].name, "testmod");
    kernel.rmmod("testmod").unwrap();
    assert_dmesg(&kernel, "testmod: exit");
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn init_failure_rolls_back_completely() {
    let kernel = boot();
    let before = Snapshot::of(&kernel);
    let err = kernel.insmod(plugin("testmod"), "init_errno=22").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InitFailed);
    assert_eq!(err.insmod_strerror(), "Invalid parameters");
    assert_eq!(Snapshot::of(&kernel), before);
    assert_nothing_pinned(&kernel);
}
