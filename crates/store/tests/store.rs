use cordvault_store::{LocalStore, conformance};

#[tokio::test]
async fn local_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("chunks")).unwrap().with_max_object_size(1 << 20);
    conformance::run_all(&store).await;
}

mod spec {
    use cordvault_store::{DiscordConfig, StoreSpec};

    fn discord() -> StoreSpec {
        StoreSpec::Discord(DiscordConfig {
            tokens: vec!["MTIz.secret-bot-token".into()],
            channels: vec![1, 2],
            api_base: Some("http://127.0.0.1:9".into()),
            keep_messages: false,
        })
    }

    #[test]
    fn the_wire_form_reads_back_as_written() {
        for spec in [StoreSpec::Local("/srv/cordvault/chunks".into()), discord()] {
            assert_eq!(StoreSpec::parse(&spec.to_wire()).unwrap(), spec);
        }
        for bad in ["", "local:", "s3:bucket", "discord:{not json", "/srv/chunks"] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad:?} is no store");
        }
    }

    #[test]
    fn debug_output_never_shows_a_bot_token() {
        let shown =
            format!("{:?} {:?}", discord(), DiscordConfig { tokens: vec!["abc.def".into()], ..Default::default() });
        assert!(!shown.contains("secret-bot-token") && !shown.contains("abc.def"), "{shown}");
        assert!(shown.contains("channels: [1, 2]"), "the rest stays visible: {shown}");
    }

    #[test]
    fn a_worker_may_take_other_channels_of_the_same_store() {
        let StoreSpec::Discord(config) = discord().with_discord_channels(&[7]) else { unreachable!() };
        assert_eq!((config.channels, config.tokens.len()), (vec![7], 1));
        let local = StoreSpec::Local("/srv".into());
        assert_eq!(local.clone().with_discord_channels(&[7]), local);
    }

    #[test]
    fn a_local_spec_opens_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreSpec::Local(dir.path().join("chunks")).open(1024).unwrap();
        assert_eq!(store.max_object_size(), 1024);
    }
}
