package receipt_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/mipush-go/mipush/receipt"
)

// Testing receipt processing with the fake server's receipts: a realistic
// batch (the same message delivered and clicked, an invalid regid with a
// replacement, a quota receipt, an expiry) posted to the handler.
func ExampleHandler_mipushtest() {
	h := &receipt.Handler{
		Handle: func(_ context.Context, rs []receipt.Receipt) error {
			for _, r := range rs {
				fmt.Printf("%s %-14v targets=%v", r.MsgID, r.Type, r.Targets)
				if r.Type == receipt.InvalidTarget {
					fmt.Printf(" error=%v replace=%v", r.ErrorCode, r.ReplaceTarget)
				}
				if len(r.Extra) > 0 {
					fmt.Printf(" extra=%v", r.Extra)
				}
				fmt.Println()
			}
			return nil
		},
	}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	resp := mipushtest.ServeReceipts(h, mipushtest.SampleReceipts(at, "slm1")...)
	fmt.Println(resp.Status)
	// Output:
	// slm1 delivered      targets=[alias1 alias2]
	// slm1 clicked        targets=[alias1]
	// slm1 invalid_target targets=[regId1a regId1b] error=invalid_regid replace=map[regId1a:otherRegId+/1]
	// slm1 over_quota     targets=[alias1] extra=map[ack:5 quota:5]
	// slm1 expired        targets=[regId1c]
	// 200 OK
}
