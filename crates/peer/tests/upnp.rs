//! UPnP port mapping against a fake Internet Gateway Device on 127.0.0.1:
//! an SSDP responder (UDP) and a hand-written HTTP/1.1 server that serves the
//! device and service descriptions and answers the SOAP control actions.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordvault_peer::upnp::{LEASE, PortMapping, UpnpError, UpnpOptions, local_address_towards, renew_interval};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

const EXTERNAL_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);
const SERVICE: &str = "urn:schemas-upnp-org:service:WANIPConnection:1";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// How the fake answers AddPortMapping.
#[derive(Clone, Copy)]
enum AddBehaviour {
    Accept,
    /// Always a SOAP fault with this UPnP error code and description.
    Fault(u16, &'static str),
    /// Error 725 OnlyPermanentLeasesSupported unless the lease is 0.
    PermanentOnly,
}

/// One SOAP action the fake received: its name and its arguments.
#[derive(Debug, Clone)]
struct Call {
    action: String,
    args: HashMap<String, String>,
}

struct FakeIgd {
    ssdp: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakeIgd {
    async fn start(behaviour: AddBehaviour) -> FakeIgd {
        let http = TcpListener::bind((LOCALHOST, 0)).await.unwrap();
        let http_port = http.local_addr().unwrap().port();
        let udp = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
        let ssdp = udp.local_addr().unwrap();
        let calls = Arc::new(Mutex::new(Vec::new()));

        tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            while let Ok((n, from)) = udp.recv_from(&mut buf).await {
                if !buf[..n].starts_with(b"M-SEARCH") {
                    continue;
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nEXT:\r\n\
                     LOCATION: http://127.0.0.1:{http_port}/rootDesc.xml\r\n\
                     SERVER: fake/1.0 UPnP/1.1 fake-igd/1.0\r\n\
                     ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\
                     USN: uuid:fake-igd::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n"
                );
                let _ = udp.send_to(reply.as_bytes(), from).await;
            }
        });

        let recorded = calls.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = http.accept().await {
                tokio::spawn(serve(stream, behaviour, recorded.clone()));
            }
        });

        FakeIgd { ssdp, calls }
    }

    fn options(&self) -> UpnpOptions {
        UpnpOptions {
            bind_addr: SocketAddr::new(LOCALHOST, 0),
            broadcast_address: self.ssdp,
            timeout: Duration::from_secs(5),
            allowed_gateway_ips: vec![LOCALHOST],
        }
    }

    fn calls(&self, action: &str) -> Vec<Call> {
        self.calls.lock().unwrap().iter().filter(|c| c.action == action).cloned().collect()
    }
}

/// One request per connection, answered with `Connection: close`.
async fn serve(mut stream: TcpStream, behaviour: AddBehaviour, calls: Arc<Mutex<Vec<Call>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body) = loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            if data.len() >= end + 4 + length {
                break (head, String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned());
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, path) = (request_line.next().unwrap_or_default(), request_line.next().unwrap_or_default());

    let (status, reply) = match (method, path) {
        ("GET", "/rootDesc.xml") => ("200 OK", ROOT_DESC.to_owned()),
        ("GET", "/WANIPCn.xml") => ("200 OK", SCPD.to_owned()),
        ("POST", "/ctl/IPConn") => {
            let soap_action = header(&head, "soapaction").unwrap_or_default();
            let action = soap_action.trim_matches('"').rsplit('#').next().unwrap_or_default().to_owned();
            let args = arguments(&body);
            let lease = args.get("NewLeaseDuration").cloned();
            calls.lock().unwrap().push(Call { action: action.clone(), args });
            match (action.as_str(), behaviour) {
                ("AddPortMapping", AddBehaviour::Fault(code, description)) => fault(code, description),
                ("AddPortMapping", AddBehaviour::PermanentOnly) if lease.as_deref() != Some("0") => {
                    fault(725, "OnlyPermanentLeasesSupported")
                }
                ("GetExternalIPAddress", _) => (
                    "200 OK",
                    envelope(&format!(
                        "<u:GetExternalIPAddressResponse xmlns:u=\"{SERVICE}\">\
                         <NewExternalIPAddress>{EXTERNAL_IP}</NewExternalIPAddress>\
                         </u:GetExternalIPAddressResponse>"
                    )),
                ),
                ("AddPortMapping" | "DeletePortMapping", _) => {
                    ("200 OK", envelope(&format!("<u:{action}Response xmlns:u=\"{SERVICE}\"></u:{action}Response>")))
                }
                _ => fault(401, "Invalid Action"),
            }
        }
        _ => ("404 Not Found", String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// The `<NewX>value</NewX>` arguments of a SOAP request.
fn arguments(body: &str) -> HashMap<String, String> {
    let mut args = HashMap::new();
    let mut rest = body;
    while let Some(start) = rest.find("<New") {
        rest = &rest[start + 1..];
        let Some(name_end) = rest.find('>') else { break };
        let name = rest[..name_end].to_owned();
        let close = format!("</{name}>");
        let Some(value_end) = rest.find(&close) else { break };
        args.insert(name, rest[name_end + 1..value_end].to_owned());
        rest = &rest[value_end..];
    }
    args
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>{body}</s:Body></s:Envelope>"
    )
}

fn fault(code: u16, description: &str) -> (&'static str, String) {
    (
        "500 Internal Server Error",
        envelope(&format!(
            "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>\
             <UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>{code}</errorCode>\
             <errorDescription>{description}</errorDescription></UPnPError></detail></s:Fault>"
        )),
    )
}

const ROOT_DESC: &str = r#"<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
    <friendlyName>fake IGD</friendlyName>
    <UDN>uuid:fake-igd</UDN>
    <deviceList>
      <device>
        <deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
        <UDN>uuid:fake-igd-wan</UDN>
        <deviceList>
          <device>
            <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
            <UDN>uuid:fake-igd-wanconn</UDN>
            <serviceList>
              <service>
                <serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
                <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
                <SCPDURL>/WANIPCn.xml</SCPDURL>
                <controlURL>/ctl/IPConn</controlURL>
                <eventSubURL>/evt/IPConn</eventSubURL>
              </service>
            </serviceList>
          </device>
        </deviceList>
      </device>
    </deviceList>
  </device>
</root>"#;

/// igd-next builds its SOAP arguments from the service description's "in"
/// arguments, so the description must list them.
const SCPD: &str = r#"<?xml version="1.0"?>
<scpd xmlns="urn:schemas-upnp-org:service-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <actionList>
    <action>
      <name>AddPortMapping</name>
      <argumentList>
        <argument><name>NewRemoteHost</name><direction>in</direction></argument>
        <argument><name>NewExternalPort</name><direction>in</direction></argument>
        <argument><name>NewProtocol</name><direction>in</direction></argument>
        <argument><name>NewInternalPort</name><direction>in</direction></argument>
        <argument><name>NewInternalClient</name><direction>in</direction></argument>
        <argument><name>NewEnabled</name><direction>in</direction></argument>
        <argument><name>NewPortMappingDescription</name><direction>in</direction></argument>
        <argument><name>NewLeaseDuration</name><direction>in</direction></argument>
      </argumentList>
    </action>
    <action>
      <name>DeletePortMapping</name>
      <argumentList>
        <argument><name>NewRemoteHost</name><direction>in</direction></argument>
        <argument><name>NewExternalPort</name><direction>in</direction></argument>
        <argument><name>NewProtocol</name><direction>in</direction></argument>
      </argumentList>
    </action>
    <action>
      <name>GetExternalIPAddress</name>
      <argumentList>
        <argument><name>NewExternalIPAddress</name><direction>out</direction></argument>
      </argumentList>
    </action>
  </actionList>
</scpd>"#;

fn arg<'a>(call: &'a Call, name: &str) -> &'a str {
    call.args.get(name).map(String::as_str).unwrap_or_else(|| panic!("{} has no {name}: {call:?}", call.action))
}

#[tokio::test]
async fn open_renew_close_uses_a_finite_lease() {
    let igd = FakeIgd::start(AddBehaviour::Accept).await;
    let local = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2222);

    let mapping = PortMapping::open(&igd.options(), local, 40022).await.expect("open");
    assert_eq!(mapping.external_addr(), SocketAddrV4::new(EXTERNAL_IP, 40022));
    assert_eq!(igd.calls("GetExternalIPAddress").len(), 1);

    let adds = igd.calls("AddPortMapping");
    assert_eq!(adds.len(), 1);
    let add = &adds[0];
    assert_eq!(arg(add, "NewLeaseDuration"), "3600");
    assert_eq!(arg(add, "NewExternalPort"), "40022");
    assert_eq!(arg(add, "NewInternalPort"), "2222");
    assert_eq!(arg(add, "NewInternalClient"), "127.0.0.1");
    assert_eq!(arg(add, "NewProtocol"), "TCP");
    assert_eq!(arg(add, "NewPortMappingDescription"), "cordvault peer");
    assert_eq!(arg(add, "NewEnabled"), "1");

    mapping.renew().await.expect("renew");
    let adds = igd.calls("AddPortMapping");
    assert_eq!(adds.len(), 2, "renew re-adds the mapping");
    assert_eq!(arg(&adds[1], "NewLeaseDuration"), "3600");
    assert_eq!(arg(&adds[1], "NewExternalPort"), "40022");
    assert!(adds.iter().all(|c| arg(c, "NewLeaseDuration") != "0"), "never a permanent lease");

    mapping.close().await.expect("close");
    let deletes = igd.calls("DeletePortMapping");
    assert_eq!(deletes.len(), 1);
    assert_eq!(arg(&deletes[0], "NewExternalPort"), "40022");
    assert_eq!(arg(&deletes[0], "NewProtocol"), "TCP");

    assert_eq!(LEASE, Duration::from_secs(3600));
    assert_eq!(renew_interval(), Duration::from_secs(1800));
}

#[tokio::test]
async fn unspecified_local_address_maps_to_the_address_towards_the_gateway() {
    let igd = FakeIgd::start(AddBehaviour::Accept).await;
    let local = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 2222);

    let mapping = PortMapping::open(&igd.options(), local, 40023).await.expect("open");
    assert_eq!(arg(&igd.calls("AddPortMapping")[0], "NewInternalClient"), "127.0.0.1");
    mapping.close().await.expect("close");

    let towards = SocketAddr::new(LOCALHOST, 1900);
    assert_eq!(local_address_towards(towards), Some(Ipv4Addr::LOCALHOST));
    assert_eq!(local_address_towards("[::1]:1900".parse().unwrap()), None);
}

#[tokio::test]
async fn no_gateway_is_a_distinct_error_that_says_the_peer_runs_on() {
    // Bound and silent, so the search gets neither an answer nor an ICMP error.
    let silent = UdpSocket::bind((LOCALHOST, 0)).await.unwrap();
    let options = UpnpOptions {
        bind_addr: SocketAddr::new(LOCALHOST, 0),
        broadcast_address: silent.local_addr().unwrap(),
        timeout: Duration::from_millis(300),
        allowed_gateway_ips: vec![LOCALHOST],
    };

    let started = std::time::Instant::now();
    let err = PortMapping::open(&options, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2222), 40022).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "the timeout is honoured");
    assert!(matches!(err, UpnpError::NoGateway { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("no UPnP gateway answered"), "{message}");
    assert!(message.contains("without a port mapping"), "{message}");
    assert!(message.contains("--advertise-address"), "{message}");
}

#[tokio::test]
async fn refused_mapping_is_a_clear_error() {
    let igd = FakeIgd::start(AddBehaviour::Fault(718, "ConflictInMappingEntry")).await;
    let local = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2222);

    let err = PortMapping::open(&igd.options(), local, 40022).await.unwrap_err();
    assert!(matches!(err, UpnpError::MappingRefused { external_port: 40022, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("refused to map TCP port 40022"), "{message}");
    assert!(message.contains("conflicts with a mapping"), "{message}");

    // A fault igd-next has no name for keeps the gateway's own text.
    let igd = FakeIgd::start(AddBehaviour::Fault(501, "ActionFailed")).await;
    let err = PortMapping::open(&igd.options(), local, 40022).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("501") && message.contains("ActionFailed"), "{message}");
}

#[tokio::test]
async fn gateway_that_only_takes_permanent_leases_gets_no_mapping() {
    let igd = FakeIgd::start(AddBehaviour::PermanentOnly).await;
    let local = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 2222);

    let err = PortMapping::open(&igd.options(), local, 40022).await.expect_err("a permanent mapping is never made");
    assert!(matches!(err, UpnpError::MappingRefused { external_port: 40022, .. }), "{err:?}");
    let leases: Vec<_> = igd.calls("AddPortMapping").iter().map(|c| arg(c, "NewLeaseDuration").to_owned()).collect();
    assert_eq!(leases, ["3600"], "no retry with lease 0");
}
