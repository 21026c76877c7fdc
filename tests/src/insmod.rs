//! insmod: the load pipeline, parameters, instances and rollback.

use crate::util::*;
use modhost::{Errno, ErrorKind};

#[test]
fn insmod_runs_init_with_default_parameters_and_rmmod_unmaps() {
    let kernel = boot();
    let name = kernel.insmod(plugin("testmod"), "").unwrap();
    assert_eq!(name, "testmod");
    assert_dmesg(
        &kernel,
        "testmod: init as testmod: b=1 s=-2 us=3 i=-4 ui=5 l=-6 ul=7 hex=0xff name=anon flag=false \
         noflag=false ints=[1, 2] words=[]",
    );
    let lsmod = kernel.lsmod();
    assert_eq!(lsmod.len(), 1);
    assert_eq!(lsmod[0].name, "testmod");
    kernel.rmmod("testmod").unwrap();
    assert_dmesg(&kernel, "testmod: exit");
    assert!(kernel.lsmod().is_empty());
    assert_nothing_pinned(&kernel);
}

#[test]
fn arguments_follow_the_kernels_rules() {
    let kernel = boot();
    let args = "b=0x10 s=-0x10 us=0177 i=42 ui=+7 l=-1 ul=18446744073709551615 hex=0x10 \
                name=\"a b\" flag noflag=y ints=5,6,7 words=x,y";
    kernel.insmod(plugin("testmod"), args).unwrap();
    assert_dmesg(
        &kernel,
        "testmod: init as testmod: b=16 s=-16 us=127 i=42 ui=7 l=-1 ul=18446744073709551615 hex=0x10 \
         name=a b flag=true noflag=false ints=[5, 6, 7] words=[\"x\", \"y\"]",
    );
}

#[test]
fn dashes_in_parameter_names_match_underscores() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "init-errno=0 hex=1").unwrap();
    assert_eq!(kernel.read("/sys/module/testmod/parameters/hex").unwrap(), "0x000001\n");
}

#[test]
fn an_unknown_parameter_is_a_warning_and_the_load_goes_on() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "bogus=1 i=3").unwrap();
    assert_dmesg(&kernel, "testmod: unknown parameter 'bogus' ignored");
    assert_eq!(kernel.read("/sys/module/testmod/parameters/i").unwrap(), "3\n");
}

#[test]
fn a_bare_file_name_is_found_in_the_module_path() {
    let kernel = boot();
    assert_eq!(kernel.insmod("testmod.so", "").unwrap(), "testmod");
    kernel.rmmod("testmod").unwrap();
    assert_eq!(kernel.insmod("testmod", "").unwrap(), "testmod");
}

#[test]
fn init_failure_rolls_back_completely() {
    let kernel = boot();
    let before = Snapshot::of(&kernel);
    let err = kernel.insmod(plugin("testmod"), "init_errno=22").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InitFailed);
    assert_eq!(err.errno(), Errno::EINVAL);
    assert_eq!(err.insmod_strerror(), "Invalid parameters");
    assert_dmesg(&kernel, "testmod: init fails with EINVAL as asked");
    assert_eq!(Snapshot::of(&kernel), before);
    assert_nothing_pinned(&kernel);
    kernel.insmod(plugin("testmod"), "").unwrap();
}

#[test]
fn several_instances_of_one_file_each_have_their_own_statics_and_parameters() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    kernel.insmod(plugin("chainmod"), "x=1").unwrap();
    kernel.insmod_named(plugin("chainmod"), Some("chainmod2"), "x=2").unwrap();
    assert_dmesg(&kernel, "chainmod: init #1: twice 1 is 2");
    assert_dmesg(&kernel, "chainmod2: init #1: twice 2 is 4");
    assert_eq!(kernel.read("/sys/module/chainmod/parameters/x").unwrap(), "1\n");
    assert_eq!(kernel.read("/sys/module/chainmod2/parameters/x").unwrap(), "2\n");
    let lsmod = kernel.lsmod();
    let gpluser = lsmod.iter().find(|m| m.name == "gpluser").unwrap();
    assert_eq!(gpluser.holders, ["chainmod2", "chainmod"]);
    kernel.rmmod("chainmod").unwrap();
    kernel.rmmod("chainmod2").unwrap();
    assert_nothing_pinned(&kernel);
}

#[test]
fn an_instance_that_exports_the_same_symbols_is_refused() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    let before = Snapshot::of(&kernel);
    let err = kernel.insmod_named(plugin("testmod"), Some("testmod2"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DuplicateSymbol);
    assert_eq!(err.insmod_strerror(), "Invalid module format");
    assert_dmesg(&kernel, "testmod2: exports duplicate symbol testmod_add (owned by testmod)");
    assert_eq!(Snapshot::of(&kernel), before);
}

#[test]
fn a_reloaded_module_starts_from_fresh_statics() {
    let kernel = boot();
    kernel.insmod(plugin("testmod"), "").unwrap();
    kernel.insmod(plugin("gpluser"), "").unwrap();
    for _ in 0..3 {
        kernel.insmod(plugin("chainmod"), "").unwrap();
        kernel.rmmod("chainmod").unwrap();
    }
    let inits = dmesg(&kernel).iter().filter(|l| l.starts_with("chainmod: init #1:")).count();
    assert_eq!(inits, 3);
    assert_nothing_pinned(&kernel);
}
