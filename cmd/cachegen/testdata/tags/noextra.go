//go:build !extra

package tags

import "github.com/gin-gonic/gin"

func mountExtra(r *gin.Engine) {}
